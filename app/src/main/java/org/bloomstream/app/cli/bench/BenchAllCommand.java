package org.bloomstream.app.cli.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bloomstream.bench.BenchJson;
import org.bloomstream.bench.SuiteBench;
import org.bloomstream.job.cli.BloomstreamHome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bloomstream bench all}: the whole suite, as BENCHMARKS.md reports it. */
@Command(
        name = "all",
        mixinStandardHelpOptions = true,
        description = {
            "Runs every job benchmark: plumbing ceiling, latency, alert latency, model vs"
                    + " pipeline, MIL cost and the demo's memory.",
            "",
            "Prints a table and writes JSON. Takes about 10 minutes on 2 cores. Run it on"
                    + " an otherwise idle machine; the machine and its load average at the"
                    + " start are recorded in the JSON."
        })
public final class BenchAllCommand implements Callable<Integer> {
    @Option(
            names = "--plumbing-crops",
            defaultValue = "12000",
            description = "Crops per plumbing run (default: ${DEFAULT-VALUE}).")
    long plumbingCrops;

    @Option(
            names = "--latency-seconds",
            defaultValue = "30",
            description = "How long each latency run produces (default: ${DEFAULT-VALUE}).")
    double latencySeconds;

    @Option(
            names = "--vit-s",
            paramLabel = "ONNX",
            defaultValue = "models/build/vit-s14-random.onnx",
            description =
                    "ViT-S/14 for the model-vs-pipeline ratio; skipped when the file is"
                            + " missing (default: ${DEFAULT-VALUE}, relative to the repository).")
    Path vitS;

    @Option(
            names = "--json",
            paramLabel = "FILE",
            defaultValue = "bench-results.json",
            description = "Where to write the figures (default: ${DEFAULT-VALUE}).")
    Path json;

    @Override
    public Integer call() throws Exception {
        Path home = BloomstreamHome.path();
        Path vit = vitS.isAbsolute() ? vitS : home.resolve(vitS);
        Map<String, Object> r =
                new SuiteBench(
                                new SuiteBench.Options(
                                        home,
                                        Files.createTempDirectory("bloomstream-suite-"),
                                        plumbingCrops,
                                        latencySeconds,
                                        Files.isRegularFile(vit) ? vit : null),
                                System.out)
                        .run();
        BenchJson.write(json, r);
        System.out.println("wrote " + json);
        return 0;
    }
}
