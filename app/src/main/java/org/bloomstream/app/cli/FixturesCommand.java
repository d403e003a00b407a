package org.bloomstream.app.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.bloomstream.app.fixtures.FixtureBuilder;
import org.bloomstream.app.job.JobConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bloomstream fixtures}: refits the shipped head and MIL fixtures. */
@Command(
        name = "fixtures",
        mixinStandardHelpOptions = true,
        description = {
            "Refits the shipped fixture cell-type head on synthetic cells.",
            "",
            "Runs synthetic crops through the pipeline's own decode/resize/embed path and",
            "writes the head next to the fixture embedder. Run it after changing the fixture",
            "ViT or the synthetic renderer (FixturesUpToDateTest fails while the committed head",
            "is stale); the MIL fixture is rebuilt by models/make_mil_fixture.sh."
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
                    "Synthetic crops per cell kind, for fitting and again for calibration"
                            + " (default: ${DEFAULT-VALUE}).")
    int perKind;

    @Option(
            names = "--head-out",
            paramLabel = "JSON",
            description = "Head file (default: models/fixtures/vit-tiny-centroids.json).")
    Path headOut;

    @Override
    public Integer call() throws Exception {
        Path home = BloomstreamCli.home();
        Path m = model != null ? model : home.resolve(JobConfig.FIXTURE_EMBEDDER);
        FixtureBuilder.Fixtures f = new FixtureBuilder(m, perKind).build();
        Path h = headOut != null ? headOut : home.resolve(JobConfig.FIXTURE_HEAD);
        FixtureBuilder.write(f, h);
        System.out.printf(
                Locale.ROOT,
                "head %s: %d classes, temperature %.4f, held-out accuracy %.3f%n",
                h,
                f.head().classes().size(),
                f.head().temperature(),
                f.heldOutAccuracy());
        return 0;
    }
}
