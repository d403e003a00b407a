package org.bloomstream.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bloomstream.devkit.demo.OutputTally;
import org.bloomstream.devkit.embedded.EmbeddedRuntime;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.feed.FeedProducer;
import org.bloomstream.inference.batch.BatchPolicy;
import org.bloomstream.inference.model.ExecutionConfig;

/**
 * The plumbing ceiling: crops/s through Kafka, the ingest gate, the Flink job (decode, batch,
 * embed, type, MIL) and the classified topic, with no model ({@code --provider none}) and with the
 * tiny fixture ViT, at parallelism 1 and 2. A backlog of 20 KB JPEG crops is produced as fast as
 * possible; throughput is taken between the 10th and the 90th percentile of classified cells.
 */
final class PlumbingBench {
    /** One configuration's figure. */
    record Row(String embedder, int parallelism, long crops, double cropsPerSecond) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("embedder", embedder);
            m.put("parallelism", parallelism);
            m.put("crops", crops);
            m.put("crops_per_second", BenchKit.round1(cropsPerSecond));
            return m;
        }
    }

    private final Path home;
    private final Path workDir;
    private final long crops;
    private final PrintStream out;

    PlumbingBench(Path home, Path workDir, long crops, PrintStream out) {
        this.home = home;
        this.workDir = workDir;
        this.crops = crops;
        this.out = out;
    }

    List<Row> run(List<String> embedders, List<Integer> parallelisms) throws Exception {
        List<byte[]> images = BenchKit.crops(400, 320, 0.95f);
        out.printf(
                Locale.ROOT,
                "plumbing: %d crops of %.1f KB JPEG (320 px)%n",
                crops,
                BenchKit.meanKb(images));
        List<Row> rows = new ArrayList<>();
        for (String embedder : embedders) {
            for (int p : parallelisms) {
                double rate = throughput(embedder, p, images);
                out.printf(Locale.ROOT, "  %-5s parallelism %d: %.0f crops/s%n", embedder, p, rate);
                rows.add(new Row(embedder, p, crops, rate));
            }
        }
        return rows;
    }

    double throughput(String embedder, int parallelism, List<byte[]> images) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        ExecutionConfig exec =
                embedder.equals("none")
                        ? new ExecutionConfig(
                                ExecutionConfig.Provider.NONE, 1, 0, false, null, 1, 16, 64, false)
                        : ExecutionConfig.cpu(Math.max(1, cores / parallelism));
        List<Emission> feed = BenchKit.feed("PLUMB", crops, 500, images, 320);
        try (EmbeddedRuntime rt =
                        BenchKit.start(
                                home,
                                workDir.resolve(embedder + "-p" + parallelism),
                                b ->
                                        b.parallelism(parallelism)
                                                .decodeParallelism(parallelism)
                                                .execution(exec)
                                                .batch(new BatchPolicy(32, Duration.ofMillis(20))),
                                0);
                OutputTally tally = new OutputTally(rt.bootstrapServers());
                FeedProducer producer = new FeedProducer(rt.bootstrapServers())) {
            producer.send(feed, 0, null);
            return steadyState(rt, tally, crops);
        }
    }

    /** Crops/s between the 10th and the 90th percentile of classified cells. */
    static double steadyState(EmbeddedRuntime rt, OutputTally tally, long crops) throws Exception {
        long p10 = Math.max(1, crops / 10);
        long p90 = crops * 9 / 10;
        long t10 = -1;
        long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
        while (true) {
            long n = tally.snapshot().classified();
            long now = System.nanoTime();
            if (t10 < 0 && n >= p10) {
                t10 = now;
            }
            if (n >= p90) {
                return (p90 - p10) / ((now - t10) / 1e9);
            }
            if (now > deadline) {
                throw new IllegalStateException("only " + n + " of " + crops + " classified");
            }
            rt.checkJobAlive();
            Thread.sleep(20);
        }
    }
}
