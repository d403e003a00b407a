package org.bloomstream.app.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.bloomstream.app.fixtures.DemoHead;
import org.bloomstream.app.fixtures.FixtureBuilder;
import org.bloomstream.app.job.JobConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bloomstream fixtures}: refits the shipped head and MIL fixtures. */
@Command(
        name = "fixtures",
        mixinStandardHelpOptions = true,
        description = {
            "Refits the shipped fixture heads and MIL model on synthetic cells.",
            "",
            "Runs synthetic crops through the pipeline's own decode/resize/embed path and",
            "writes the served cell-type head (a linear probe), the nearest-centroid head the",
            "MIL model is derived from, and the MIL model next to the fixture embedder. Run it after",
            "changing the fixture ViT or the synthetic renderer; FixturesUpToDateTest fails",
            "while the committed files are stale."
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
            description =
                    "Nearest-centroid head file, the MIL model's basis (default:"
                            + " models/fixtures/vit-tiny-centroids.json).")
    Path headOut;

    @Option(
            names = "--cell-head-out",
            paramLabel = "JSON",
            description =
                    "Served head file, a linear probe (default:"
                            + " models/fixtures/vit-tiny-linear.json).")
    Path cellHeadOut;

    @Option(
            names = "--mil-out",
            paramLabel = "JSON",
            description = "MIL file (default: models/fixtures/mil-differential.json).")
    Path milOut;

    @Override
    public Integer call() throws Exception {
        Path home = BloomstreamCli.home();
        Path m = model != null ? model : home.resolve(JobConfig.FIXTURE_EMBEDDER);
        FixtureBuilder.Fixtures f = new FixtureBuilder(m, perKind).build();
        Path h = headOut != null ? headOut : home.resolve(JobConfig.FIXTURE_HEAD);
        Path mil = milOut != null ? milOut : home.resolve(JobConfig.FIXTURE_MIL);
        FixtureBuilder.write(f, h, mil);
        System.out.printf(
                Locale.ROOT,
                "head %s: %d classes, temperature %.4f, held-out accuracy %.3f%n",
                h,
                f.head().classes().size(),
                f.head().temperature(),
                f.heldOutAccuracy());
        System.out.println("mil  " + mil + ": " + f.mil().classes());
        DemoHead.Fit served = DemoHead.fit(m, perKind);
        Path c = cellHeadOut != null ? cellHeadOut : home.resolve(JobConfig.FIXTURE_CELL_HEAD);
        served.head().write(c);
        System.out.printf(
                Locale.ROOT,
                "head %s: %s, %d classes, held-out accuracy %.3f, unknown %.3f%n",
                c,
                served.head().kind(),
                served.head().classes().size(),
                served.heldOutAccuracy(),
                served.heldOutUnknown());
        return 0;
    }
}
