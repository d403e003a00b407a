package org.bloomstream.app.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.bloomstream.devkit.demo.DemoRun;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.job.cli.PipelineOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bloomstream demo}: the whole pipeline in one JVM. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the whole pipeline in one JVM on a synthetic scanner room or real crops.",
            "",
            "Starts an embedded KRaft Kafka broker, the ingest gate and the Flink job "
                    + "on a MiniCluster, feeds them a synthetic scanner room (or a folder of "
                    + "real crops with --crops), prints progress and a per-specimen table and, "
                    + "as its last line, SUMMARY {json}. While it runs, the live page (open "
                    + "specimens, differential, subtype probabilities, alerts, most attended "
                    + "cells) is at the printed URL. Exits 0 only if every crop sent was "
                    + "classified or dead-lettered, exactly once, and every specimen got its "
                    + "final report."
        })
final class DemoCommand implements Callable<Integer> {
    @Option(
            names = "--crops",
            paramLabel = "DIR",
            description =
                    "Replay a folder of real crops instead: DIR/labels.csv with columns"
                            + " path,label[,group]; each group is one specimen. PNG, JPEG, BMP,"
                            + " TIFF, any size.")
    Path crops;

    @Option(
            names = "--specimens",
            defaultValue = "10",
            description = "Synthetic specimens (default: ${DEFAULT-VALUE}).")
    int specimens;

    @Option(
            names = "--cells",
            defaultValue = "200",
            description = "Crops per synthetic specimen (default: ${DEFAULT-VALUE}).")
    int cells;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Synthetic scanner seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--bad-fraction",
            defaultValue = "0.01",
            description =
                    "Fraction of synthetic crops broken on purpose (empty, truncated, not an"
                            + " image, not Avro) to show dead-lettering (default: ${DEFAULT-VALUE}).")
    double badFraction;

    @Option(
            names = "--rate",
            defaultValue = "400",
            description =
                    "Scanner emissions per second, 0 for as fast as possible"
                            + " (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(
            names = "--timeout-s",
            defaultValue = "600",
            description = "Give up after this many seconds (default: ${DEFAULT-VALUE}).")
    long timeoutS;

    @Option(
            names = "--work-dir",
            paramLabel = "DIR",
            description =
                    "Where the broker and gate keep their files; deleted at the end"
                            + " (default: a new temporary directory).")
    Path workDir;

    @Option(
            names = "--live-port",
            defaultValue = "0",
            description =
                    "Port of the live page (the lab's dashboard) on 127.0.0.1; 0 for any free"
                            + " port, -1 for none (default: ${DEFAULT-VALUE}).")
    int livePort;

    @Option(
            names = "--linger-s",
            defaultValue = "0",
            description =
                    "Keep the live page up this many seconds after the run, to look at the"
                            + " final state (default: ${DEFAULT-VALUE}).")
    long lingerS;

    @Option(
            names = "--stain-shift",
            paramLabel = "SCANNER@CROPS",
            description =
                    "Shift one synthetic scanner's stain (less green, more blue) once the room"
                            + " has sent CROPS crops, e.g. synth-scanner-2@400: the drift watch"
                            + " flags it on the live page and on scanners.drift.")
    String stainShift;

    @Mixin PipelineOptions pipeline;

    /** Where a test joins the run (the browser test opens the live page); none by default. */
    DemoRun.Hooks hooks = new DemoRun.Hooks() {};

    @Override
    public Integer call() throws Exception {
        if (crops != null && !Files.isDirectory(crops)) {
            System.err.println("--crops: not a directory: " + crops);
            return 2;
        }
        Path dir = workDir != null ? workDir : Files.createTempDirectory("bloomstream-demo-");
        DemoRun.Options options =
                new DemoRun.Options(
                        seed,
                        specimens,
                        cells,
                        badFraction,
                        rate,
                        crops,
                        Duration.ofSeconds(timeoutS),
                        dir,
                        bootstrap ->
                                pipeline.toConfig(bootstrap).toBuilder()
                                        .transactionalIdPrefix(
                                                "bloomstream-demo-" + System.nanoTime())
                                        .build(),
                        livePort,
                        Duration.ofSeconds(Math.max(0, lingerS)),
                        stainShift == null ? null : stainShift(stainShift));
        DemoRun.Result result = new DemoRun(options, System.out, hooks).run();
        System.out.println(DemoRun.summaryLine(result.summary()));
        System.out.flush();
        return result.ok() ? 0 : 1;
    }

    private static SyntheticScanner.StainShift stainShift(String spec) {
        int at = spec.lastIndexOf('@');
        if (at < 1) {
            throw new IllegalArgumentException("--stain-shift: expected SCANNER@CROPS: " + spec);
        }
        return SyntheticScanner.StainShift.pinkBlue(
                spec.substring(0, at), Long.parseLong(spec.substring(at + 1)));
    }
}
