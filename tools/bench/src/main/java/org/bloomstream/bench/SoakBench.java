package org.bloomstream.bench;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.bloomstream.devkit.embedded.EmbeddedRuntime;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.feed.FeedProducer;
import org.bloomstream.inference.batch.BatchPolicy;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.ingest.metrics.PrometheusText;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.ScanEventType;

/**
 * The soak: the embedded pipeline (tiny fixture, parallelism 2) fed at a steady rate for a long
 * time, with specimens of {@code cellsPerSpecimen} cells that open, fill and close, so that keyed
 * state is created and cleaned up all the time. Every {@code sampleEvery} it records:
 *
 * <ul>
 *   <li>live heap: memory in use right after the latest garbage collection (what survives a GC, not
 *       the sawtooth in between); the whole JVM, so broker, gate and job together;
 *   <li>state: the job's last checkpoint size, scraped from the Flink Prometheus reporter, the same
 *       series the Grafana dashboard shows;
 *   <li>consumer lag: end offsets minus committed offsets of the gate's and the job's consumer
 *       groups (the job commits on checkpoints), and crops produced but not yet classified.
 * </ul>
 *
 * <p>"Flat" is judged on the samples after the first fifth (warm-up): the mean of the last third
 * may exceed the mean of the first third by at most 20% and a fixed slack (heap 32 MB, state 256
 * KB, lag two seconds of input), since a soak of a few minutes cannot tell a slow leak from noise
 * any better than that. The run fails if the job fails.
 */
public final class SoakBench {
    /** What to run. */
    public record Options(
            Path home,
            Path workDir,
            double cropsPerSecond,
            Duration duration,
            Duration sampleEvery,
            int cellsPerSpecimen) {}

    /** One sample. */
    record Sample(
            double seconds,
            long produced,
            long classified,
            double liveHeapMb,
            double stateKb,
            long groupLag) {
        long inFlight() {
            return produced - classified;
        }
    }

    /** The verdict on one series. */
    public record Trend(String series, double first, double last, double max, boolean flat) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("series", series);
            m.put("first_third_mean", BenchKit.round1(first));
            m.put("last_third_mean", BenchKit.round1(last));
            m.put("max", BenchKit.round1(max));
            m.put("flat", flat);
            return m;
        }
    }

    /** The soak's outcome. */
    public record Result(
            double rate, double seconds, long produced, long classified, List<Trend> trends) {
        public boolean flat() {
            return trends.stream().allMatch(Trend::flat);
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("crops_per_second", BenchKit.round1(rate));
            m.put("seconds", BenchKit.round1(seconds));
            m.put("produced", produced);
            m.put("classified", classified);
            m.put("trends", trends.stream().map(Trend::toMap).toList());
            m.put("flat", flat());
            return m;
        }
    }

    private final Options options;
    private final PrintStream out;

    public SoakBench(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /**
     * The plumbing ceiling of the soak's own configuration (tiny fixture, parallelism 2), to take
     * 80% of.
     */
    public static double measureMaxRate(Path home, Path workDir, long crops, PrintStream out)
            throws Exception {
        List<PlumbingBench.Row> rows =
                new PlumbingBench(home, workDir, crops, out).run(List.of("tiny"), List.of(2));
        return rows.get(0).cropsPerSecond();
    }

    /**
     * The rate to soak at: {@code rate} when given, else {@code load} times the plumbing ceiling
     * measured first in {@code workDir}.
     */
    public static double rate(
            Path home, Path workDir, Double rate, long ceilingCrops, double load, PrintStream out)
            throws Exception {
        if (rate != null) {
            return rate;
        }
        double max = measureMaxRate(home, workDir, ceilingCrops, out);
        double r = max * load;
        out.printf(Locale.ROOT, "ceiling %.0f crops/s; soaking at %.0f%n", max, r);
        return r;
    }

    public Result run() throws Exception {
        List<byte[]> images = BenchKit.crops(200, 320, 0.95f);
        int metricsPort = EmbeddedRuntime.freePort();
        int cores = Runtime.getRuntime().availableProcessors();
        List<Sample> samples = new ArrayList<>();
        out.printf(
                Locale.ROOT,
                "soak: %.0f crops/s for %s, %d cells per specimen, sampling every %s%n",
                options.cropsPerSecond(),
                options.duration(),
                options.cellsPerSpecimen(),
                options.sampleEvery());
        try (EmbeddedRuntime rt =
                        BenchKit.start(
                                options.home(),
                                options.workDir(),
                                b ->
                                        b.parallelism(2)
                                                .decodeParallelism(2)
                                                .execution(
                                                        ExecutionConfig.cpu(Math.max(1, cores / 2)))
                                                .batch(new BatchPolicy(16, Duration.ofMillis(20))),
                                metricsPort);
                Admin admin =
                        Admin.create(
                                Map.<String, Object>of(
                                        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                                        rt.bootstrapServers()))) {
            AtomicLong classified = new AtomicLong();
            AtomicReference<Exception> failure = new AtomicReference<>();
            TopicTail consumer =
                    TopicTail.start(
                            rt.bootstrapServers(),
                            "soak",
                            List.of(Topics.CELLS_CLASSIFIED.name()),
                            (r, now) -> classified.incrementAndGet());
            AtomicLong produced = new AtomicLong();
            long crops = Math.round(options.cropsPerSecond() * options.duration().toSeconds());
            Thread producer =
                    new Thread(
                            () -> {
                                try (FeedProducer p = new FeedProducer(rt.bootstrapServers())) {
                                    p.send(
                                            () ->
                                                    new Feed(
                                                            crops,
                                                            options.cellsPerSpecimen(),
                                                            images),
                                            options.cropsPerSecond(),
                                            FeedProducer.Pace.CROPS,
                                            produced::set);
                                } catch (Exception e) {
                                    failure.set(e);
                                }
                            },
                            "soak-producer");
            producer.setDaemon(true);
            long start = System.nanoTime();
            producer.start();
            long every = options.sampleEvery().toNanos();
            for (long next = start + every; producer.isAlive(); next += every) {
                while (System.nanoTime() < next && producer.isAlive()) {
                    rt.checkJobAlive();
                    Thread.sleep(200);
                }
                if (failure.get() != null) {
                    throw failure.get();
                }
                Sample s =
                        new Sample(
                                (System.nanoTime() - start) / 1e9,
                                produced.get(),
                                classified.get(),
                                liveHeapMb(),
                                checkpointKb(metricsPort),
                                groupLag(admin, rt));
                samples.add(s);
                out.printf(
                        Locale.ROOT,
                        "  %6.0f s  produced %8d  classified %8d  in flight %6d  live heap %6.1f MB"
                                + "  state %8.1f KB  group lag %6d%n",
                        s.seconds(),
                        s.produced(),
                        s.classified(),
                        s.inFlight(),
                        s.liveHeapMb(),
                        s.stateKb(),
                        s.groupLag());
            }
            producer.join();
            if (failure.get() != null) {
                throw failure.get();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            consumer.close();
            double lagSlack = 2 * options.cropsPerSecond();
            List<Trend> trends =
                    List.of(
                            trend("live heap MB", samples, Sample::liveHeapMb, 32),
                            trend("state KB", samples, Sample::stateKb, 256),
                            trend("group lag", samples, s -> s.groupLag(), lagSlack),
                            trend("in flight", samples, s -> s.inFlight(), lagSlack));
            Result r =
                    new Result(
                            produced.get() / seconds,
                            seconds,
                            produced.get(),
                            classified.get(),
                            trends);
            for (Trend t : trends) {
                out.printf(
                        Locale.ROOT,
                        "  %-13s first third %9.1f  last third %9.1f  max %9.1f  %s%n",
                        t.series(),
                        t.first(),
                        t.last(),
                        t.max(),
                        t.flat() ? "flat" : "GROWING");
            }
            out.printf(
                    Locale.ROOT,
                    "soak: %.0f s at %.0f crops/s, %d produced, %d classified; heap, state and lag %s%n",
                    seconds,
                    r.rate(),
                    r.produced(),
                    r.classified(),
                    r.flat() ? "flat" : "NOT flat");
            return r;
        }
    }

    interface Series {
        double of(Sample s);
    }

    /** Compares the first and last thirds of the samples after the first fifth. */
    static Trend trend(String name, List<Sample> samples, Series f, double slack) {
        List<Sample> steady = samples.subList(samples.size() / 5, samples.size());
        if (steady.size() < 3) {
            throw new IllegalStateException(
                    "too few samples to judge a trend: " + samples.size() + "; run longer");
        }
        int third = steady.size() / 3;
        double first = mean(steady.subList(0, third), f);
        double last = mean(steady.subList(steady.size() - third, steady.size()), f);
        double max = steady.stream().mapToDouble(f::of).max().orElse(0);
        return new Trend(name, first, last, max, last <= first * 1.2 + slack);
    }

    private static double mean(Collection<Sample> s, Series f) {
        return s.stream().mapToDouble(f::of).average().orElse(0);
    }

    /**
     * The live set: heap in use right after a full collection, forced here. Young collections alone
     * say little: under G1 the old generation keeps its garbage until a mixed cycle, so the heap
     * after a young collection climbs for minutes and then drops, leak or no leak. A full
     * collection every sample costs a pause of a few hundred milliseconds every half minute, a
     * small price for a figure that only a leak can make grow.
     */
    static double liveHeapMb() {
        System.gc();
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                used += pool.getUsage().getUsed();
            }
        }
        return used / 1048576.0;
    }

    /** The job's last checkpoint size from the Flink Prometheus reporter; NaN before the first. */
    private static double checkpointKb(int port) throws Exception {
        return PrometheusText.scrape(port).entrySet().stream()
                .filter(e -> e.getKey().startsWith("flink_jobmanager_job_lastCheckpointSize"))
                .mapToDouble(e -> e.getValue() / 1024)
                .findFirst()
                .orElse(Double.NaN);
    }

    /** End offsets minus committed offsets, over the gate's and the job's consumer groups. */
    private static long groupLag(Admin admin, EmbeddedRuntime rt) throws Exception {
        long lag = 0;
        for (String group : List.of("bloomstream-gate", rt.jobConfig().groupId())) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            if (committed.isEmpty()) {
                continue;
            }
            Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
            committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            var ends = admin.listOffsets(latest).all().get();
            for (var e : committed.entrySet()) {
                if (e.getValue() != null) {
                    lag += Math.max(0, ends.get(e.getKey()).offset() - e.getValue().offset());
                }
            }
        }
        return lag;
    }

    /**
     * An endless-looking feed made on the fly, so a half-hour soak does not hold hundreds of
     * thousands of records in the heap it is measuring.
     */
    private static final class Feed implements Iterator<Emission> {
        private final long crops;
        private final int perSpecimen;
        private final List<byte[]> images;
        private final Instant t = Instant.now();
        private long next;
        private int inSpecimen = -1;
        private String specimen;

        Feed(long crops, int perSpecimen, List<byte[]> images) {
            this.crops = crops;
            this.perSpecimen = perSpecimen;
            this.images = images;
        }

        @Override
        public boolean hasNext() {
            return next < crops || inSpecimen >= 0;
        }

        @Override
        public Emission next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            if (inSpecimen < 0) {
                specimen = String.format("SOAK-%07d", next / perSpecimen);
                inSpecimen = 0;
                return BenchKit.event(specimen, ScanEventType.STARTED, null, t);
            }
            boolean specimenDone = inSpecimen == perSpecimen || next == crops;
            if (specimenDone) {
                int n = inSpecimen;
                inSpecimen = -1;
                return BenchKit.event(specimen, ScanEventType.FINISHED, n, t);
            }
            Emission crop =
                    BenchKit.crop(
                            specimen, inSpecimen, images.get((int) (next % images.size())), 320, t);
            inSpecimen++;
            next++;
            return crop;
        }
    }
}
