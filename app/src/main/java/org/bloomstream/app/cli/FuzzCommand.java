package org.bloomstream.app.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.bloomstream.devkit.fuzz.FuzzRun;
import org.bloomstream.devkit.fuzz.FuzzTally;
import org.bloomstream.job.cli.PipelineOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bloomstream fuzz}: hostile records through the gate and the job, every one accounted. */
@Command(
        name = "fuzz",
        mixinStandardHelpOptions = true,
        description = {
            "Feeds seeded random and mutated crops and Avro records into cells.raw of "
                    + "an embedded broker with the ingest gate and the Flink job, and accounts "
                    + "for every record as classified or dead-lettered.",
            "",
            "The last line is",
            "  fuzz: seed S, N records: A accepted, D dead (REASON: n, ...), C crashes",
            "Exits 0 only with zero crashes and every record accounted for exactly once."
        })
final class FuzzCommand implements Callable<Integer> {
    @Option(
            names = "--seed",
            defaultValue = "1",
            description =
                    "Fuzzer seed; the same seed gives the same records (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--count",
            defaultValue = "2000",
            description = "Records to feed (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(
            names = "--crops",
            paramLabel = "DIR",
            description =
                    "Also mutate real crops found under DIR (read in place; default:"
                            + " ../shared/data next to the repository, skipped if absent).")
    Path crops;

    @Option(
            names = "--timeout-s",
            defaultValue = "900",
            description =
                    "Give up waiting for outcomes after this many seconds (default: ${DEFAULT-VALUE}).")
    long timeoutS;

    @Option(
            names = "--work-dir",
            paramLabel = "DIR",
            description =
                    "Where the run's broker and gate files go: a new directory under DIR, deleted at"
                            + " the end; DIR itself is left alone (default: the system's temporary"
                            + " directory).")
    Path workDir;

    @Mixin PipelineOptions pipeline;

    @Override
    public Integer call() throws Exception {
        if (count < 1) {
            throw new IllegalArgumentException("--count must be at least 1");
        }
        // A directory of the run's own: the runtime deletes its work directory when it closes.
        Path dir =
                workDir != null
                        ? Files.createTempDirectory(
                                Files.createDirectories(workDir), "bloomstream-fuzz-")
                        : Files.createTempDirectory("bloomstream-fuzz-");
        Path real = crops != null ? crops : FuzzRun.defaultRealCrops(BloomstreamCli.home());
        FuzzTally tally =
                new FuzzRun(
                                new FuzzRun.Options(
                                        seed,
                                        count,
                                        real,
                                        Duration.ofSeconds(timeoutS),
                                        dir,
                                        bootstrap ->
                                                pipeline.toConfig(bootstrap).toBuilder()
                                                        .transactionalIdPrefix(
                                                                "bloomstream-fuzz-"
                                                                        + System.nanoTime())
                                                        .build()),
                                System.out)
                        .run();
        System.out.flush();
        return tally.ok() ? 0 : 1;
    }
}
