package org.bloomstream.app.cli.bench;

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
                    + "fixture, at the given parallelisms."
        })
public final class BenchPlumbingCommand implements Callable<Integer> {
    @Option(
            names = "--crops",
            defaultValue = "12000",
            description = "Crops per run (default: ${DEFAULT-VALUE}).")
    long crops;

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

    @Override
    public Integer call() throws Exception {
        new PlumbingBenchRunner().run(crops, embedders, parallelisms);
        return 0;
    }
}
