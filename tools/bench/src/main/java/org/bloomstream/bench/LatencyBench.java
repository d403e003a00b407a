package org.bloomstream.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.bloomstream.devkit.embedded.EmbeddedRuntime;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.feed.FeedProducer;
import org.bloomstream.inference.batch.BatchPolicy;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.ClassifiedCell;

/**
 * Latency from crop produced to classified record consumed (read_committed, as a downstream
 * consumer sees it), at fractions of the measured maximum throughput, with the tiny fixture at
 * parallelism 2. The clock starts at the Kafka timestamp the scanner's producer gave the crop (the
 * gate keeps it) and stops when the consumer receives the classified record. The first seconds (job
 * start, warm-up) are not counted.
 *
 * <p>With exactly-once sinks a record becomes visible when the checkpoint after it commits, so the
 * checkpoint interval is a floor under the latency; it is a parameter here.
 */
final class LatencyBench {
    /** Percentiles at one load. */
    record Row(
            double load,
            double rate,
            long checkpointMs,
            long samples,
            long p50,
            long p95,
            long p99,
            long max) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("load", load);
            m.put("crops_per_second", BenchKit.round1(rate));
            m.put("checkpoint_interval_ms", checkpointMs);
            m.put("samples", samples);
            m.put("p50_ms", p50);
            m.put("p95_ms", p95);
            m.put("p99_ms", p99);
            m.put("max_ms", max);
            return m;
        }
    }

    private final Path home;
    private final Path workDir;
    private final Duration warmUp;
    private final PrintStream out;

    /**
     * @param warmUp crops produced this long after the start are not counted (job start, JIT)
     */
    LatencyBench(Path home, Path workDir, Duration warmUp, PrintStream out) {
        this.home = home;
        this.workDir = workDir;
        this.warmUp = warmUp;
        this.out = out;
    }

    Row run(double maxRate, double load, double seconds, long checkpointMs) throws Exception {
        double rate = maxRate * load;
        long crops = Math.max(200, Math.round(rate * seconds));
        List<byte[]> images = BenchKit.crops(200, 320, 0.95f);
        List<Emission> feed = BenchKit.feed("LAT", crops, 500, images, 320);
        int cores = Runtime.getRuntime().availableProcessors();
        List<Long> latencies = new ArrayList<>();
        long warmupMs = warmUp.toMillis();
        try (EmbeddedRuntime rt =
                BenchKit.start(
                        home,
                        workDir.resolve("latency-" + (int) (load * 100) + "-" + checkpointMs),
                        b ->
                                b.parallelism(2)
                                        .decodeParallelism(2)
                                        .checkpointInterval(Duration.ofMillis(checkpointMs))
                                        .execution(ExecutionConfig.cpu(Math.max(1, cores / 2)))
                                        .batch(new BatchPolicy(16, Duration.ofMillis(10))),
                        0)) {
            AtomicLong startedAt = new AtomicLong(System.currentTimeMillis());
            TopicTail.Handler onCell =
                    (r, now) -> {
                        ClassifiedCell cell = Topics.CELLS_CLASSIFIED.deserializeValue(r.value());
                        long produced = cell.getTimings().getIngestTime().toEpochMilli();
                        if (produced - startedAt.get() > warmupMs) {
                            synchronized (latencies) {
                                latencies.add(now - produced);
                            }
                        }
                    };
            try (TopicTail tail =
                    TopicTail.start(
                            rt.bootstrapServers(),
                            "latency",
                            List.of(Topics.CELLS_CLASSIFIED.name()),
                            onCell)) {
                try (FeedProducer producer = new FeedProducer(rt.bootstrapServers())) {
                    startedAt.set(System.currentTimeMillis());
                    producer.send(feed, rate, null);
                }
                // Let the tail drain: a few checkpoint intervals.
                long drainUntil = System.currentTimeMillis() + 3 * checkpointMs + 3000;
                while (System.currentTimeMillis() < drainUntil) {
                    rt.checkJobAlive();
                    Thread.sleep(100);
                }
            }
        }
        long[] sorted;
        synchronized (latencies) {
            sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        }
        Row row =
                new Row(
                        load,
                        rate,
                        checkpointMs,
                        sorted.length,
                        BenchKit.percentile(sorted, 50),
                        BenchKit.percentile(sorted, 95),
                        BenchKit.percentile(sorted, 99),
                        sorted.length == 0 ? -1 : sorted[sorted.length - 1]);
        out.printf(
                Locale.ROOT,
                "  latency at %.0f%% (%.0f crops/s, checkpoints %d ms): p50 %d ms, p95 %d ms, p99 %d ms (%d cells)%n",
                load * 100,
                rate,
                checkpointMs,
                row.p50(),
                row.p95(),
                row.p99(),
                row.samples());
        if (sorted.length == 0) {
            out.println("  (no cells after the warm-up: " + Arrays.toString(sorted) + ")");
        }
        return row;
    }
}
