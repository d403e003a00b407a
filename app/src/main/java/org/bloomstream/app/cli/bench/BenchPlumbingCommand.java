package org.bloomstream.app.cli.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.bloomstream.bench.PlumbingBenchRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bloomstream bench plumbing}: the plumbing ceiling alone (also the profiling target). */
@Command(
        name = "plumbing",
        mixinStandardHelpOptions = true,
        description = {
            "Measures crops/s through Kafka, the gate, the Flink job and the classified topic.",
            "",
            "20 KB JPEG crops; with no model (--embedders none) and the tiny "
                    + "fixture, at the given parallelisms.",
            "",
            "Also the CPU time per crop of the job's threads, apart from the broker's and "
                    + "the gate's; the part of it the job spent decoding and resizing (its "
                    + "decode operators count it); and the ratio of the two (the goal is <= "
                    + "1.3). A thread of its own decodes and resizes the same crops during "
                    + "each run, as a cross-check."
        })
public final class BenchPlumbingCommand implements Callable<Integer> {
    @Option(
            names = "--crops",
            defaultValue = "40000",
            description = {
                "Measured crops per run, after the warm-up (default: ${DEFAULT-VALUE}). The"
                        + " rate and the CPU are taken between their 10th and 90th percentile."
            })
    long crops;

    @Option(
            names = "--warmup-crops",
            defaultValue = "40000",
            description = {
                "Crops fed before the measured ones, in the same job, and left out of the"
                        + " window (default: ${DEFAULT-VALUE}). On 2 cores the JIT compiles for"
                        + " the first minute or two, and what the job spends besides the pixels"
                        + " is measured high until it is done; 0 measures from a cold start."
            })
    long warmupCrops;

    @Option(
            names = "--embedders",
            split = ",",
            defaultValue = "none,tiny",
            description = "none and/or tiny (default: ${DEFAULT-VALUE}).")
    List<String> embedders;

    @Option(
            names = "--parallelism",
            split = ",",
            defaultValue = "1,2",
            description = "Parallelisms to run (default: ${DEFAULT-VALUE}).")
    List<Integer> parallelisms;

    @Option(
            names = "--threads",
            description = "Also print the threads that used the most CPU in each run.")
    boolean threads;

    @Option(
            names = "--resize-in-graph",
            description =
                    "Run the job as with --resize-in-graph: crops leave the decoder at their"
                            + " decoded size, and with --embedders none nothing resizes them. The"
                            + " CPU side of a GPU host, where the model's graph resizes.")
    boolean resizeInGraph;

    @Option(
            names = "--json",
            paramLabel = "FILE",
            defaultValue = "bench-results.json",
            description = "Write the figures as JSON here (default: ${DEFAULT-VALUE}).")
    Path json;

    @Override
    public Integer call() throws Exception {
        new PlumbingBenchRunner()
                .run(crops, warmupCrops, embedders, parallelisms, threads, resizeInGraph, json);
        return 0;
    }
}
