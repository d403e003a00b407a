package org.bloomstream.app.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.bloomstream.bench.IngestBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ingest bench}: a development tool, so it lives in the CLI, not the ingest service. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Measures producer and producer+gate throughput on loopback, in crops/s and MB/s.",
            "",
            "Starts an embedded KRaft broker and the gate (exactly_once_v2) in this "
                    + "JVM and sends synthetic-cell JPEGs of each size; 'prod+gate' counts "
                    + "until the last crop is committed on cells.accepted. Everything shares "
                    + "this machine's cores."
        })
final class IngestBenchCommand implements Callable<Integer> {
    @Option(
            names = "--sizes-kb",
            split = ",",
            defaultValue = "20,200",
            description = "Crop sizes in KB (default: ${DEFAULT-VALUE}).")
    List<Integer> sizes;

    @Option(
            names = "--megabytes",
            defaultValue = "400",
            description = "Image data to send per size, in MB (default: ${DEFAULT-VALUE}).")
    int megabytes;

    @Option(
            names = "--partitions",
            defaultValue = "4",
            description = "Partitions per topic (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(
            names = "--work-dir",
            paramLabel = "DIR",
            description =
                    "Where the broker and gate keep their files; deleted at the end"
                            + " (default: a new temporary directory).")
    Path workDir;

    @Override
    public Integer call() throws Exception {
        Path dir = workDir != null ? workDir : Files.createTempDirectory("bloomstream-bench-");
        try {
            new IngestBench(
                            new IngestBench.Options(
                                    new ArrayList<>(sizes), megabytes, partitions, dir),
                            System.out)
                    .run();
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return 0;
    }
}
