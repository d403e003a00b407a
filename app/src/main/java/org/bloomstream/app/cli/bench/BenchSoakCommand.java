package org.bloomstream.app.cli.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.bloomstream.bench.BenchJson;
import org.bloomstream.bench.SoakBench;
import org.bloomstream.job.cli.BloomstreamHome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bloomstream bench soak}: long, steady load; heap, state and lag must stay flat. */
@Command(
        name = "soak",
        mixinStandardHelpOptions = true,
        description = {
            "Feeds the embedded pipeline (tiny fixture, parallelism 2) at a steady "
                    + "rate for a long time and samples live heap, checkpointed state size "
                    + "and consumer lag.",
            "",
            "Prints every sample and a summary; exits 1 when any of them keeps growing.",
            "",
            "Without --rate it first measures the plumbing ceiling (tiny, "
                    + "parallelism 2) and soaks at --load of it. On demand only: not part of "
                    + "mvn verify."
        })
public final class BenchSoakCommand implements Callable<Integer> {
    @Option(
            names = "--minutes",
            defaultValue = "30",
            description = "How long to feed (default: ${DEFAULT-VALUE}).")
    double minutes;

    @Option(
            names = "--rate",
            paramLabel = "CROPS_PER_S",
            description = "Crops/s to feed; default: --load times the measured ceiling.")
    Double rate;

    @Option(
            names = "--ceiling-crops",
            defaultValue = "12000",
            description =
                    "Crops for the ceiling measurement when no --rate is given; the same as"
                            + " bench plumbing, since a shorter run is mostly JIT warm-up"
                            + " (default: ${DEFAULT-VALUE}).")
    long ceilingCrops;

    @Option(
            names = "--load",
            defaultValue = "0.8",
            description = "Fraction of the measured ceiling (default: ${DEFAULT-VALUE}).")
    double load;

    @Option(
            names = "--sample-seconds",
            defaultValue = "30",
            description = "Seconds between samples (default: ${DEFAULT-VALUE}).")
    long sampleSeconds;

    @Option(
            names = "--cells-per-specimen",
            defaultValue = "500",
            description = "Cells per specimen (default: ${DEFAULT-VALUE}).")
    int cellsPerSpecimen;

    @Option(
            names = "--json",
            paramLabel = "FILE",
            defaultValue = "soak-results.json",
            description = "Where to write the summary (default: ${DEFAULT-VALUE}).")
    Path json;

    @Override
    public Integer call() throws Exception {
        Path home = BloomstreamHome.path();
        Path work = Files.createTempDirectory("bloomstream-soak-");
        double r =
                SoakBench.rate(home, work.resolve("ceiling"), rate, ceilingCrops, load, System.out);
        SoakBench.Result result =
                new SoakBench(
                                new SoakBench.Options(
                                        home,
                                        work.resolve("soak"),
                                        r,
                                        Duration.ofSeconds(Math.round(minutes * 60)),
                                        Duration.ofSeconds(sampleSeconds),
                                        cellsPerSpecimen),
                                System.out)
                        .run();
        BenchJson.write(json, result.toMap());
        System.out.println("wrote " + json);
        return result.flat() ? 0 : 1;
    }
}
