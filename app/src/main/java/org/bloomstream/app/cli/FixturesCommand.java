package org.bloomstream.app.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.bloomstream.devkit.fixtures.DemoHead;
import org.bloomstream.job.JobConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bloomstream fixtures}: refits the shipped cell-type head. */
@Command(
        name = "fixtures",
        mixinStandardHelpOptions = true,
        description = {
            "Refits the shipped fixture cell-type head on synthetic cells.",
            "",
            "Runs synthetic crops through the pipeline's own decode/resize/embed path "
                    + "and fits the head the demo serves (a linear probe, with the code of "
                    + "fit-head) next to the fixture embedder. Run it after changing the "
                    + "fixture ViT or the synthetic renderer (ServedHeadUpToDateTest fails "
                    + "while the committed head is stale); the MIL fixture is rebuilt by "
                    + "models/make_mil_fixture.sh."
        })
final class FixturesCommand implements Callable<Integer> {
    @Option(
            names = "--model",
            paramLabel = "ONNX",
            description = "Embedder (default: models/fixtures/vit-tiny.onnx).")
    Path model;

    @Option(
            names = "--per-kind",
            defaultValue = "40",
            description =
                    "Synthetic crops per cell kind, for fitting and again for evaluation"
                            + " (default: ${DEFAULT-VALUE}).")
    int perKind;

    @Option(
            names = "--head-out",
            paramLabel = "JSON",
            description = "Head file (default: models/fixtures/vit-tiny-linear.json).")
    Path headOut;

    @Override
    public Integer call() throws Exception {
        Path home = BloomstreamCli.home();
        Path m = model != null ? model : home.resolve(JobConfig.FIXTURE_EMBEDDER);
        DemoHead.Fit served = DemoHead.fit(m, perKind);
        Path out = headOut != null ? headOut : home.resolve(JobConfig.FIXTURE_CELL_HEAD);
        served.write(out);
        System.out.printf(
                Locale.ROOT,
                "head %s: %s, %d classes, held-out accuracy %.3f, unknown %.3f%n",
                out,
                served.head().kind(),
                served.head().classes().size(),
                served.heldOutAccuracy(),
                served.heldOutUnknown());
        return 0;
    }
}
