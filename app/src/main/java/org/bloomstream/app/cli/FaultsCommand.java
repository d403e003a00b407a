package org.bloomstream.app.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.bloomstream.faults.FaultRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bloomstream faults}: the fault-injection suite, any size. */
@Command(
        name = "faults",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the fault-injection suite on the embedded runtime.",
            "",
            "A synthetic scanner room goes through the pipeline twice: once without "
                    + "faults, then while, at seeded points, a task fails, the job stops with a "
                    + "savepoint and restores, the broker restarts and the classified sink "
                    + "stalls. Everything is then read back read_committed and checked: each "
                    + "cell exactly once, one report per specimen counting its cells, no "
                    + "duplicate alert, final probabilities equal to the failure-free run. "
                    + "Exits 0 only when all hold."
        })
final class FaultsCommand implements Callable<Integer> {
    @Option(names = "--specimens", defaultValue = "50", description = "Default: ${DEFAULT-VALUE}.")
    int specimens;

    @Option(
            names = "--cells",
            defaultValue = "500",
            description = "Crops per specimen (default: ${DEFAULT-VALUE}).")
    int cells;

    @Option(
            names = "--faults",
            defaultValue = "16",
            description =
                    "Faults to inject; the four kinds take turns (default: ${DEFAULT-VALUE}).")
    int faults;

    @Option(
            names = "--rate",
            defaultValue = "150",
            description =
                    "Crops per second fed during the faulted run (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(
            names = "--bad-fraction",
            defaultValue = "0.02",
            description = "Broken crops, dead-lettered by design (default: ${DEFAULT-VALUE}).")
    double badFraction;

    @Option(names = "--seed", defaultValue = "7", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(
            names = "--timeout-min",
            defaultValue = "30",
            description = "Give up a run after this long (default: ${DEFAULT-VALUE}).")
    long timeoutMin;

    @Option(
            names = "--unaligned-checkpoints",
            description = "Faulted run with unaligned checkpoints (default: aligned).")
    boolean unaligned;

    @Override
    public Integer call() throws Exception {
        Path home = BloomstreamCli.home();
        Path work = Files.createTempDirectory("bloomstream-faults-");
        FaultRun.Result r;
        try {
            r =
                    new FaultRun(
                                    new FaultRun.Options(
                                            seed,
                                            specimens,
                                            cells,
                                            badFraction,
                                            faults,
                                            rate,
                                            work,
                                            Duration.ofMinutes(timeoutMin),
                                            b -> FaultRun.job(b, home),
                                            unaligned),
                                    System.out)
                            .run();
        } finally {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        System.out.println(r.summaryLine());
        return r.ok() ? 0 : 1;
    }
}
