package org.bloomstream.bench;

import java.awt.image.BufferedImage;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
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
import org.bloomstream.inference.image.AlphaPolicy;
import org.bloomstream.inference.image.AntialiasedResize;
import org.bloomstream.inference.image.CropImageDecoder;
import org.bloomstream.inference.image.CropRejectedException;
import org.bloomstream.inference.image.ImageLimits;
import org.bloomstream.inference.model.EmbedderManifest;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.ingest.metrics.PrometheusText;
import org.bloomstream.job.JobConfig;

/**
 * The plumbing ceiling: crops/s through Kafka, the ingest gate, the Flink job (decode, batch,
 * embed, type, MIL) and the classified topic, with no model ({@code --provider none}) and with the
 * tiny fixture ViT, at parallelism 1 and 2. A backlog of 20 KB JPEG crops is produced as fast as
 * possible; throughput is taken between the 10th and the 90th percentile of classified cells.
 *
 * <p>Over the same window it takes the CPU time of every thread ({@link ThreadCpu}) and divides it
 * by the crops classified in the window: the job's own cost per crop, apart from the broker's, the
 * gate's and the benchmark's, which share the machine. The job's decode operators count the CPU of
 * their decode and resize alone ({@code decodeResizeCpuNanos}, scraped from the job's Prometheus
 * endpoint at both ends of the window), which is what the job cannot do without: the ratio of the
 * two says what the plumbing costs on top of the pixels. A thread of the benchmark's own also
 * decodes and resizes the same crops during the run, as a cross-check (it came out 4-14% above the
 * job's chain thread, so it would flatter the ratio). CPU time, unlike crops/s, barely moves when
 * other work shares the cores.
 */
final class PlumbingBench {
    /** One configuration's figures. CPU figures are -1 where the JVM cannot measure them. */
    record Row(
            String embedder,
            int parallelism,
            long crops,
            double cropsPerSecond,
            double loadAverage,
            double jobCpuMsPerCrop,
            double brokerCpuMsPerCrop,
            double gateCpuMsPerCrop,
            double benchCpuMsPerCrop,
            double flinkRuntimeCpuMsPerCrop,
            double otherCpuMsPerCrop,
            double jvmGcJitCpuMsPerCrop,
            double decodeResizeCpuMsPerCrop,
            double sampledDecodeResizeCpuMsPerCrop) {
        Row(String embedder, int parallelism, long crops, double cropsPerSecond) {
            this(
                    embedder,
                    parallelism,
                    crops,
                    cropsPerSecond,
                    -1,
                    -1,
                    -1,
                    -1,
                    -1,
                    -1,
                    -1,
                    -1,
                    -1,
                    -1);
        }

        /**
         * The job's CPU per crop over its own decode and resize (the job's decode operator counts
         * that CPU: {@code decodeResizeCpuNanos}); the goal is <= 1.3.
         */
        double ratio() {
            return jobCpuMsPerCrop > 0 && decodeResizeCpuMsPerCrop > 0
                    ? jobCpuMsPerCrop / decodeResizeCpuMsPerCrop
                    : -1;
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("embedder", embedder);
            m.put("parallelism", parallelism);
            m.put("crops", crops);
            m.put("crops_per_second", BenchKit.round1(cropsPerSecond));
            m.put("load_average_1m", round2(loadAverage));
            m.put("job_cpu_ms_per_crop", round3(jobCpuMsPerCrop));
            m.put("decode_resize_cpu_ms_per_crop", round3(decodeResizeCpuMsPerCrop));
            m.put("decode_resize_sampled_cpu_ms_per_crop", round3(sampledDecodeResizeCpuMsPerCrop));
            m.put("job_to_decode_resize_ratio", round2(ratio()));
            m.put("broker_cpu_ms_per_crop", round3(brokerCpuMsPerCrop));
            m.put("gate_cpu_ms_per_crop", round3(gateCpuMsPerCrop));
            m.put("bench_feed_and_tally_cpu_ms_per_crop", round3(benchCpuMsPerCrop));
            m.put("flink_runtime_cpu_ms_per_crop", round3(flinkRuntimeCpuMsPerCrop));
            m.put("other_threads_cpu_ms_per_crop", round3(otherCpuMsPerCrop));
            m.put("jvm_gc_jit_cpu_ms_per_crop", round3(jvmGcJitCpuMsPerCrop));
            return m;
        }
    }

    private final Path home;
    private final Path workDir;
    private final long crops;
    private final PrintStream out;
    private boolean verbose;
    private boolean resizeInGraph;
    private long warmupCrops;

    PlumbingBench(Path home, Path workDir, long crops, PrintStream out) {
        this.home = home;
        this.workDir = workDir;
        this.crops = crops;
        this.out = out;
    }

    /** Also print the threads that used the most CPU in each run. */
    PlumbingBench verbose(boolean v) {
        this.verbose = v;
        return this;
    }

    /**
     * Runs the job with resize in the model graph ({@code --resize-in-graph}): the decoder emits
     * crops at their decoded size and resizes nothing, as on a GPU host. With the null embedder
     * this is the CPU side of such a host: decode and plumbing only.
     */
    PlumbingBench resizeInGraph(boolean v) {
        this.resizeInGraph = v;
        return this;
    }

    /**
     * First feeds {@code n} warm-up crops through the same job and waits until they are classified;
     * only then sends the measured crops. A streaming job runs for days, and over its first minute
     * or two on these 2 cores the JIT is still compiling the Kafka, Avro and Flink paths (26,478
     * methods in a 100,000-crop run, BENCHMARKS.md), so what the job spends besides the pixels is
     * measured high there. 0: a cold start, as before.
     */
    PlumbingBench warmup(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("warm-up crops must be >= 0: " + n);
        }
        this.warmupCrops = n;
        return this;
    }

    List<Row> run(List<String> embedders, List<Integer> parallelisms) throws Exception {
        List<byte[]> images = BenchKit.crops(400, 320, 0.95f);
        out.printf(
                Locale.ROOT,
                "plumbing: %d crops of %.1f KB JPEG (320 px)%s%s%n",
                crops,
                BenchKit.meanKb(images),
                warmupCrops > 0
                        ? String.format(
                                Locale.ROOT,
                                ", measured after %d warm-up crops in the same job",
                                warmupCrops)
                        : "",
                resizeInGraph ? ", resize in the model graph (the decoder only decodes)" : "");
        List<Row> rows = new ArrayList<>();
        for (String embedder : embedders) {
            for (int p : parallelisms) {
                Row row = measure(embedder, p, images);
                out.printf(
                        Locale.ROOT,
                        "  %-5s parallelism %d: %.0f crops/s (load average %.2f)%n",
                        embedder,
                        p,
                        row.cropsPerSecond(),
                        row.loadAverage());
                rows.add(row);
            }
        }
        // The same work in a hot loop on an otherwise idle thread, after the runs: the decoder's
        // floor. For reference only; the ratio uses the job's own decode+resize CPU.
        double hotLoop = decodeResizeCpuMs(images, (int) Math.min(crops, 2000));
        out.printf(
                Locale.ROOT,
                "  decode+resize alone, hot loop after the runs: %.3f ms CPU per crop%n",
                hotLoop);
        List<Row> done = new ArrayList<>();
        for (Row d : rows) {
            if (d.jobCpuMsPerCrop() >= 0) {
                out.printf(
                        Locale.ROOT,
                        "  %-5s parallelism %d: job %.3f ms CPU per crop = %.2fx its own"
                                + " decode+resize of %.3f ms (broker %.3f, gate %.3f, feed+tally"
                                + " %.3f, flink runtime %.3f, other %.3f, GC+JIT %.3f;"
                                + " decode+resize alone, sampled on a thread of its own during"
                                + " the run, %.3f ms)%n",
                        d.embedder(),
                        d.parallelism(),
                        d.jobCpuMsPerCrop(),
                        d.ratio(),
                        d.decodeResizeCpuMsPerCrop(),
                        d.brokerCpuMsPerCrop(),
                        d.gateCpuMsPerCrop(),
                        d.benchCpuMsPerCrop(),
                        d.flinkRuntimeCpuMsPerCrop(),
                        d.otherCpuMsPerCrop(),
                        d.jvmGcJitCpuMsPerCrop(),
                        d.sampledDecodeResizeCpuMsPerCrop());
            }
            done.add(d);
        }
        return done;
    }

    Row measure(String embedder, int parallelism, List<byte[]> images) throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        ExecutionConfig exec =
                embedder.equals("none")
                        ? new ExecutionConfig(
                                ExecutionConfig.Provider.NONE, 1, 0, false, null, 1, 16, 64, false)
                        : ExecutionConfig.cpu(Math.max(1, cores / parallelism));
        List<Emission> feed = BenchKit.feed("PLUMB", crops, 500, images, 320);
        String txPrefix = "plumb-" + System.nanoTime();
        ThreadCpu cpu = new ThreadCpu(txPrefix, "bloomstream-gate");
        int metricsPort = EmbeddedRuntime.freePort();
        try (EmbeddedRuntime rt =
                        BenchKit.start(
                                home,
                                workDir.resolve(embedder + "-p" + parallelism),
                                b ->
                                        b.parallelism(parallelism)
                                                .decodeParallelism(parallelism)
                                                .execution(exec)
                                                .resizeInGraph(resizeInGraph)
                                                .batch(new BatchPolicy(32, Duration.ofMillis(20)))
                                                .transactionalIdPrefix(txPrefix),
                                metricsPort);
                OutputTally tally = new OutputTally(rt.bootstrapServers());
                FeedProducer producer = new FeedProducer(rt.bootstrapServers())) {
            if (warmupCrops > 0) {
                // Its own specimens (the gate would drop reused cell ids), all classified before
                // the measured feed is sent: the measured crops then pass the broker, the gate and
                // the job together, as in a cold run, but through compiled code.
                producer.send(BenchKit.feed("WARMUP", warmupCrops, 500, images, 320), 0, null);
                awaitClassified(tally::classified, rt::checkJobAlive, warmupCrops);
            }
            producer.send(feed, 0, null);
            Window w;
            try (DecodeSampler sampler = new DecodeSampler(images, imageSize())) {
                w =
                        steadyStateWindow(
                                rt,
                                tally,
                                warmupCrops,
                                crops,
                                sampler,
                                () -> pixelCpu(metricsPort));
            }
            if (w.wholeRun()) {
                out.printf(
                        Locale.ROOT,
                        "  %s p%d: all %d crops were committed at once; rate over the whole run,"
                                + " start-up included (use more crops for a steady window)%n",
                        embedder,
                        parallelism,
                        crops);
            }
            // CPU per crop the job decoded in the window. A short run's decoders can finish before
            // the window opens; then the job's CPU and its decode+resize are both taken over the
            // job's whole life (every thread's CPU since it started, and the meter from zero), so
            // the two still cover the same work. Without a meter: per crop classified.
            long decoded = w.decodedInWindow(crops);
            boolean wholeLife = decoded <= 0 && w.pixelsTo() != null && w.pixelsTo()[1] > 0;
            ThreadCpu.Usage u =
                    cpu.between(
                            wholeLife ? new ThreadCpu.Snapshot(Map.of(), Map.of(), -1) : w.from(),
                            w.to());
            long n = decoded > 0 ? decoded : wholeLife ? Math.round(w.pixelsTo()[1]) : w.crops();
            out.printf(
                    Locale.ROOT,
                    "  %s p%d: CPU over %d crops %s%n",
                    embedder,
                    parallelism,
                    n,
                    decoded > 0
                            ? "the job decoded in the window"
                            : wholeLife
                                    ? "the job decoded in its whole life (a short run: start-up"
                                            + " included, GC+JIT not measured)"
                                    : "classified in the window");
            if (verbose) {
                out.printf(
                        Locale.ROOT,
                        "  threads by CPU (ms per crop), %s p%d:%n",
                        embedder,
                        parallelism);
                for (Map.Entry<String, Long> t : u.topThreads()) {
                    out.printf(
                            Locale.ROOT,
                            "    %8.3f  %-8s %s%n",
                            t.getValue() / 1e6 / n,
                            cpu.owner(t.getKey()),
                            t.getKey());
                }
                out.printf(Locale.ROOT, "  job threads by kind (ms per crop):%n");
                for (Map.Entry<String, Long> t : u.jobKinds()) {
                    out.printf(Locale.ROOT, "    %8.3f  %s%n", t.getValue() / 1e6 / n, t.getKey());
                }
            }
            boolean measured = ThreadCpu.supported();
            return new Row(
                    embedder,
                    parallelism,
                    crops,
                    w.cropsPerSecond(),
                    w.loadAverage(),
                    measured ? u.msPer(ThreadCpu.Owner.JOB, n) : -1,
                    measured ? u.msPer(ThreadCpu.Owner.BROKER, n) : -1,
                    measured ? u.msPer(ThreadCpu.Owner.GATE, n) : -1,
                    measured ? u.msPer(ThreadCpu.Owner.BENCH, n) : -1,
                    measured ? u.msPer(ThreadCpu.Owner.FLINK_RUNTIME, n) : -1,
                    measured ? u.msPer(ThreadCpu.Owner.OTHER, n) : -1,
                    measured && !wholeLife ? u.msPer(ThreadCpu.Owner.JVM, n) : -1,
                    w.pixelMs(crops),
                    measured ? w.decodeResizeMs() : -1);
        }
    }

    /**
     * CPU time of decoding and resizing the benchmark's crops on this thread, as the job's decode
     * operator does it (same decoder, limits, alpha policy and model input size), after one warm-up
     * pass over all of them.
     */
    double decodeResizeCpuMs(List<byte[]> images, int count) throws Exception {
        int size = imageSize();
        CropImageDecoder decoder =
                CropImageDecoder.forOneThread(ImageLimits.DEFAULT, AlphaPolicy.DROP, size > 0);
        long sink = 0;
        for (byte[] jpeg : images) {
            sink += decodeResize(decoder, jpeg, size);
        }
        java.lang.management.ThreadMXBean t = ManagementFactory.getThreadMXBean();
        long start = t.getCurrentThreadCpuTime();
        for (int i = 0; i < count; i++) {
            sink += decodeResize(decoder, images.get(i % images.size()), size);
        }
        long nanos = t.getCurrentThreadCpuTime() - start;
        if (sink == 42) {
            out.print(""); // keeps the work observable to the JIT
        }
        return nanos / 1e6 / count;
    }

    /** The job's pixel work on one crop; {@code size} 0: decode only, as with resize in graph. */
    private static int decodeResize(CropImageDecoder decoder, byte[] jpeg, int size)
            throws CropRejectedException {
        BufferedImage image = decoder.decode(jpeg);
        return size == 0
                ? AntialiasedResize.bgrBytes(image)[0]
                : AntialiasedResize.resizeToRgb(image, size, size)[0];
    }

    /** The size the job resizes to, or 0 when it does not resize (resize in the graph). */
    private int imageSize() throws java.io.IOException {
        return resizeInGraph
                ? 0
                : EmbedderManifest.forModel(home.resolve(JobConfig.FIXTURE_EMBEDDER)).imageSize();
    }

    /**
     * Decodes and resizes the benchmark's crops on one thread of its own while the job runs, and
     * sums that thread's CPU time. Measured at the same time as the job, under the same load: on a
     * shared machine CPU time per crop moves with the load (caches, hyper-threads), by 40% between
     * runs here, so a figure taken at another time does not compare.
     *
     * <p>It works in bursts of {@link #BURST} crops every {@link #PERIOD_MS} ms (about a tenth of
     * one core) and counts all but the first crop of a burst: the job's decode threads work through
     * a backlog without pausing, with warm caches, and a crop decoded just after a sleep costs more
     * than that. The thread's own CPU falls in {@code BENCH}.
     */
    static final class DecodeSampler implements AutoCloseable {
        static final long PERIOD_MS = 100;
        static final int BURST = 5;
        private final List<byte[]> images;
        private final int size;
        private final Thread thread;
        private volatile boolean running = true;
        private long cpuNanos;
        private long samples;
        private volatile Exception failure;

        DecodeSampler(List<byte[]> images, int size) throws Exception {
            this.images = images;
            this.size = size;
            CropImageDecoder decoder =
                    CropImageDecoder.forOneThread(ImageLimits.DEFAULT, AlphaPolicy.DROP, size > 0);
            for (byte[] jpeg : images) {
                decodeResize(decoder, jpeg, size); // JIT warm-up, before the job's window
            }
            this.thread = new Thread(() -> loop(decoder), "bench-decode-sampler");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void loop(CropImageDecoder decoder) {
            java.lang.management.ThreadMXBean t = ManagementFactory.getThreadMXBean();
            int i = 0;
            try {
                do { // at least one burst, so a window that closes at once still has a figure
                    decodeResize(decoder, images.get(i++ % images.size()), size);
                    long c0 = t.getCurrentThreadCpuTime();
                    for (int k = 1; k < BURST; k++) {
                        decodeResize(decoder, images.get(i++ % images.size()), size);
                    }
                    long c1 = t.getCurrentThreadCpuTime();
                    synchronized (this) {
                        cpuNanos += c1 - c0;
                        samples += BURST - 1;
                    }
                    Thread.sleep(PERIOD_MS);
                } while (running);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                failure = e;
            }
        }

        /** Stops the thread; ms of CPU per crop decoded and resized. */
        double stop() throws Exception {
            running = false;
            thread.join(10_000);
            if (failure != null) {
                throw failure;
            }
            synchronized (this) {
                return samples == 0 ? -1 : cpuNanos / 1e6 / samples;
            }
        }

        @Override
        public void close() throws Exception {
            if (running) {
                running = false;
                thread.interrupt();
                if (thread.isAlive() && thread.getState() != Thread.State.NEW) {
                    thread.join(10_000);
                }
            }
        }
    }

    /**
     * The steady-state window: crops classified in it, its rate, CPU at both ends, load; the job's
     * decode meter at both ends (null where not read); {@code wholeRun} when all output became
     * visible at once and the window is the whole run.
     */
    record Window(
            long crops,
            double cropsPerSecond,
            ThreadCpu.Snapshot from,
            ThreadCpu.Snapshot to,
            double loadAverage,
            double decodeResizeMs,
            double[] pixelsFrom,
            double[] pixelsTo,
            boolean wholeRun) {

        /**
         * Crops the job decoded while its CPU was measured: the count to divide that CPU by, since
         * the read-committed output lags the work by up to a checkpoint and arrives a commit at a
         * time. -1 when the meter was not read or fewer than a tenth of the run's crops were
         * decoded in the window (a short run whose decoders finished before it opened).
         */
        long decodedInWindow(long runCrops) {
            if (pixelsFrom == null || pixelsTo == null) {
                return -1;
            }
            long d = Math.round(pixelsTo[1] - pixelsFrom[1]);
            return d >= Math.max(1, runCrops / 10) ? d : -1;
        }

        /**
         * The job's decode+resize CPU per crop: over the window where {@link #decodedInWindow}
         * counts, else over everything decoded since the job started (its first crops with a cold
         * JIT, which makes the figure larger and the ratio smaller); -1 without a meter.
         */
        double pixelMs(long runCrops) {
            return decodedInWindow(runCrops) > 0
                    ? msPerCrop(pixelsFrom, pixelsTo)
                    : msPerCrop(new double[] {0, 0}, pixelsTo);
        }
    }

    /** CPU ms per crop decoded between two meter readings; -1 when none was decoded or read. */
    static double msPerCrop(double[] from, double[] to) {
        if (from == null || to == null || to[1] <= from[1] || to[0] <= from[0]) {
            return -1;
        }
        return (to[0] - from[0]) / 1e6 / (to[1] - from[1]);
    }

    static Window steadyStateWindow(
            EmbeddedRuntime rt,
            OutputTally tally,
            long warmup,
            long crops,
            DecodeSampler sampler,
            PixelMeter pixels)
            throws Exception {
        return steadyStateWindow(
                () -> tally.classified(),
                rt::checkJobAlive,
                warmup,
                crops,
                sampler,
                pixels,
                Duration.ofMinutes(20));
    }

    /**
     * The job's own decode+resize CPU so far, summed over its decode subtasks: {nanoseconds, crops
     * decoded}.
     */
    interface PixelMeter {
        double[] read() throws Exception;
    }

    /** A reading, or null before the job has registered its metrics. */
    private static double[] readOrNull(PixelMeter pixels) throws Exception {
        try {
            return pixels.read();
        } catch (IllegalArgumentException notYet) {
            return null;
        }
    }

    /** The decode operators' {@code decodeResizeCpuNanos} and {@code cropsDecoded}, scraped. */
    private static double[] pixelCpu(int metricsPort) throws Exception {
        Map<String, Double> series = PrometheusText.scrape(metricsPort);
        return new double[] {
            PrometheusText.value(
                    series, "flink_taskmanager_job_task_operator_decodeResizeCpuNanos"),
            PrometheusText.value(series, "flink_taskmanager_job_task_operator_cropsDecoded")
        };
    }

    /** Polls until {@code n} crops are classified (the warm-up), failing if the job stops. */
    static void awaitClassified(Progress progress, AliveCheck alive, long n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
        long seen;
        while ((seen = progress.classified()) < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "warm-up: only " + seen + " of " + n + " classified");
            }
            alive.check();
            Thread.sleep(20);
        }
    }

    /** What the window polls: the crops classified so far, and a check that the job still runs. */
    interface Progress {
        long classified() throws Exception;
    }

    interface AliveCheck {
        void check() throws Exception;
    }

    static Window steadyStateWindow(
            Progress progress,
            AliveCheck alive,
            long crops,
            DecodeSampler sampler,
            PixelMeter pixels,
            Duration timeout)
            throws Exception {
        return steadyStateWindow(progress, alive, 0, crops, sampler, pixels, timeout);
    }

    /**
     * The window over the {@code crops} measured crops that follow {@code warmup} others: from the
     * 10th to the 90th percentile of the measured ones, counted after the warm-up.
     */
    static Window steadyStateWindow(
            Progress progress,
            AliveCheck alive,
            long warmup,
            long crops,
            DecodeSampler sampler,
            PixelMeter pixels,
            Duration timeout)
            throws Exception {
        long p10 = warmup + Math.max(1, crops / 10);
        long p90 = warmup + crops * 9 / 10;
        long total = warmup + crops;
        long t0 = System.nanoTime();
        double[] pixelsAtStart = pixels != null ? readOrNull(pixels) : null;
        ThreadCpu.Snapshot start = ThreadCpu.snapshot();
        double[] pixelsFrom = null;
        long t10 = -1;
        long n10 = 0;
        ThreadCpu.Snapshot from = null;
        long deadline = t0 + timeout.toNanos();
        while (true) {
            long n = progress.classified();
            long now = System.nanoTime();
            if (t10 < 0 && n >= p10) {
                // the meter is an HTTP scrape: read it just before the snapshot, not between it
                // and the sampler's start, so both windows cover the same work
                pixelsFrom = pixels != null ? readOrNull(pixels) : null;
                from = ThreadCpu.snapshot();
                t10 = now;
                n10 = n;
                if (sampler != null) {
                    sampler.start();
                }
            }
            boolean windowFormed = t10 >= 0 && n > n10;
            // Output is read committed, so it arrives a transaction (a checkpoint) at a time. A
            // small run can become visible in one commit: the 10th and the 90th percentile then
            // fall in the same poll and no steady window can ever form. The rate is then taken
            // over the whole run, start-up included, and says so.
            boolean allAtOnce = t10 >= 0 && n == n10 && n >= total;
            if (n >= p90 && (windowFormed || allAtOnce)) {
                double[] pixelsTo = pixels != null ? readOrNull(pixels) : null;
                ThreadCpu.Snapshot to = ThreadCpu.snapshot();
                double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
                double decode = sampler != null ? sampler.stop() : -1;
                return windowFormed
                        ? new Window(
                                n - n10,
                                (n - n10) / ((now - t10) / 1e9),
                                from,
                                to,
                                load,
                                decode,
                                pixelsFrom,
                                pixelsTo,
                                false)
                        : new Window(
                                n - warmup,
                                (n - warmup) / ((now - t0) / 1e9),
                                start,
                                to,
                                load,
                                decode,
                                pixelsAtStart,
                                pixelsTo,
                                true);
            }
            if (now > deadline) {
                throw new IllegalStateException("only " + n + " of " + total + " classified");
            }
            alive.check();
            Thread.sleep(20);
        }
    }

    private static double round2(double v) {
        return v < 0 ? v : Math.round(v * 100) / 100.0;
    }

    private static double round3(double v) {
        return v < 0 ? v : Math.round(v * 1000) / 1000.0;
    }
}
