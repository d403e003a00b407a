package org.bloomstream.bench;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.util.CloseableIterator;
import org.bloomstream.inference.batch.BatchPolicy;
import org.bloomstream.inference.decode.CropDecodeFunction;
import org.bloomstream.inference.image.AlphaPolicy;
import org.bloomstream.inference.image.AntialiasedResize;
import org.bloomstream.inference.image.ImageLimits;
import org.bloomstream.inference.model.Embedder;
import org.bloomstream.inference.model.EmbedderFactory;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.model.OnnxEmbedder;
import org.bloomstream.inference.types.DecodedCrop;
import org.bloomstream.inference.types.EmbeddedCell;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ImageEncoding;

/**
 * {@code bench gpu}: what the accelerator gives and how much of it the pipeline keeps.
 *
 * <ol>
 *   <li><b>Raw</b>: each model in a bare session, at each batch size: the fp32 reference provider
 *       (CUDA, or CPU) and, on a GPU, TensorRT fp16. Crops/s, p50/p99 per call, busy fraction
 *       (model-call time over wall time: 1 for a bare loop) and the smallest cosine between the
 *       cell's embeddings and the fp32 reference's on the same crops.
 *   <li><b>Host CPU per crop</b>: decode, then Pillow resize + packing vs packing for the graph
 *       that resizes ({@code ResizeGraph}), on the operator's thread; and the process CPU per crop
 *       of each path with the model call included.
 *   <li><b>Pipeline</b>: a Flink job in this JVM, JPEG crops through {@link CropDecodeFunction}
 *       (decode only), the micro-batcher with batches in flight and resize in the graph, on the
 *       fastest provider. Cosine against the fp32 Pillow path on the same crops.
 * </ol>
 *
 * The parity gate: every cell's cosine must be at least {@link Options#minCosine()}, or {@link
 * Result#failures()} is not empty and the command fails.
 */
public final class GpuBench {

    /**
     * @param models the ONNX embedders (manifest beside each)
     * @param gpu CUDA + TensorRT fp16 (true) or CPU only (false)
     * @param deviceId CUDA device
     * @param engineCache where TensorRT caches its engines
     * @param batches raw batch sizes
     * @param cellSeconds how long each raw cell runs (after a warm-up call)
     * @param pipelineCrops crops through the pipeline, per model
     * @param pipelineBatch the pipeline's micro-batch size
     * @param inFlight the pipeline's batches in flight per subtask
     * @param parallelism model instances in the pipeline
     * @param decodeParallelism decode subtasks in the pipeline
     * @param cropEdge the synthetic JPEG crops' edge in pixels (316: a typical smear crop)
     * @param minCosine the fp16 parity gate
     */
    public record Options(
            List<Path> models,
            boolean gpu,
            int deviceId,
            Path engineCache,
            List<Integer> batches,
            double cellSeconds,
            int pipelineCrops,
            int pipelineBatch,
            int inFlight,
            int parallelism,
            int decodeParallelism,
            int cropEdge,
            double minCosine) {}

    /** One measured cell. */
    public record Cell(
            String stage,
            String model,
            String provider,
            int batch,
            double cropsPerSecond,
            double p50Ms,
            double p99Ms,
            double busy,
            double cosine) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("stage", stage);
            m.put("model", model);
            m.put("provider", provider);
            m.put("batch", batch);
            m.put("crops_per_second", round(cropsPerSecond));
            m.put("p50_ms", round(p50Ms));
            m.put("p99_ms", round(p99Ms));
            m.put("busy_fraction", round(busy));
            m.put("cosine_vs_fp32", Math.round(cosine * 1e6) / 1e6);
            return m;
        }
    }

    /** Host CPU per crop (ms) of the two preprocessing paths. */
    public record CpuCost(
            String model,
            double decodeMs,
            double pillowResizePackMs,
            double graphPackMs,
            double pillowPathProcessMs,
            double graphPathProcessMs) {}

    /** Everything measured, and what failed the gate. */
    public record Result(List<Cell> cells, List<CpuCost> cpu, double minCosine) {
        public List<String> failures() {
            List<String> f = new ArrayList<>();
            for (Cell c : cells) {
                if (!(c.cosine() >= minCosine)) {
                    f.add(
                            String.format(
                                    Locale.ROOT,
                                    "%s %s %s batch %d: cosine %.6f < %.4f",
                                    c.stage(),
                                    c.model(),
                                    c.provider(),
                                    c.batch(),
                                    c.cosine(),
                                    minCosine));
                }
            }
            return f;
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("cells", cells.stream().map(Cell::toMap).toList());
            List<Map<String, Object>> cpus = new ArrayList<>();
            for (CpuCost c : cpu) {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("model", c.model());
                x.put("decode_cpu_ms_per_crop", round(c.decodeMs()));
                x.put("pillow_resize_pack_cpu_ms_per_crop", round(c.pillowResizePackMs()));
                x.put("graph_pack_cpu_ms_per_crop", round(c.graphPackMs()));
                x.put("pillow_path_process_cpu_ms_per_crop", round(c.pillowPathProcessMs()));
                x.put("graph_path_process_cpu_ms_per_crop", round(c.graphPathProcessMs()));
                cpus.add(x);
            }
            m.put("host_cpu", cpus);
            m.put("min_cosine", minCosine);
            m.put("failures", failures());
            return m;
        }

        public void print(PrintStream out) {
            out.printf(
                    Locale.ROOT,
                    "%n%-9s %-26s %-14s %6s %11s %9s %9s %6s %10s%n",
                    "stage",
                    "model",
                    "provider",
                    "batch",
                    "crops/s",
                    "p50 ms",
                    "p99 ms",
                    "busy",
                    "cos fp32");
            for (Cell c : cells) {
                out.printf(
                        Locale.ROOT,
                        "%-9s %-26s %-14s %6d %11.1f %9.2f %9.2f %6.2f %10.6f%n",
                        c.stage(),
                        c.model(),
                        c.provider(),
                        c.batch(),
                        c.cropsPerSecond(),
                        c.p50Ms(),
                        c.p99Ms(),
                        c.busy(),
                        c.cosine());
            }
            out.printf(
                    Locale.ROOT,
                    "%nhost CPU ms per crop   %-26s %8s %14s %10s %14s %14s%n",
                    "model",
                    "decode",
                    "Pillow+pack",
                    "graph pack",
                    "Pillow path*",
                    "graph path*");
            for (CpuCost c : cpu) {
                out.printf(
                        Locale.ROOT,
                        "                       %-26s %8.3f %14.3f %10.3f %14.3f %14.3f%n",
                        c.model(),
                        c.decodeMs(),
                        c.pillowResizePackMs(),
                        c.graphPackMs(),
                        c.pillowPathProcessMs(),
                        c.graphPathProcessMs());
            }
            out.println("  * process CPU with the model call (all threads); decode not included");
        }
    }

    private final Options o;
    private final PrintStream out;

    public GpuBench(Options options, PrintStream out) {
        this.o = options;
        this.out = out;
    }

    public Result run() throws Exception {
        List<Cell> cells = new ArrayList<>();
        List<CpuCost> cpu = new ArrayList<>();
        List<byte[]> jpegs = syntheticJpegs(32, o.cropEdge());
        for (Path model : o.models()) {
            ExecutionConfig ref = o.gpu() ? ExecutionConfig.cuda(o.deviceId(), false) : cpuAll();
            try (OnnxEmbedder fp32 = OnnxEmbedder.open(model, ref, true)) {
                String id = fp32.modelId();
                int maxBatch = o.batches().stream().mapToInt(Integer::intValue).max().orElse(1);
                byte[][] crops = randomCrops(maxBatch, fp32.imageSize());
                float[][] reference = fp32.embed(crops, maxBatch);
                out.printf(Locale.ROOT, "%s: raw %s fp32%n", id, fp32.provider());
                for (int b : o.batches()) {
                    cells.add(raw(fp32, "raw", id, fp32.provider() + " fp32", b, crops, reference));
                }
                OnnxEmbedder fast = fp32;
                String fastName = fp32.provider() + " fp32";
                if (o.gpu()) {
                    out.printf(
                            Locale.ROOT,
                            "%s: building or loading the TensorRT fp16 engine (cache %s)%n",
                            id,
                            o.engineCache());
                    fast = OnnxEmbedder.open(model, tensorRt(maxBatch), true);
                    fastName = fast.provider() + " fp16";
                    for (int b : o.batches()) {
                        cells.add(raw(fast, "raw", id, fastName, b, crops, reference));
                    }
                }
                try {
                    cpu.add(cpuPerCrop(fast, id, jpegs));
                    out.printf(Locale.ROOT, "%s: pipeline on %s%n", id, fastName);
                    cells.add(pipeline(model, id, fastName, jpegs, fp32));
                } finally {
                    if (fast != fp32) {
                        fast.close();
                    }
                }
            }
        }
        return new Result(cells, cpu, o.minCosine());
    }

    private ExecutionConfig cpuAll() {
        return ExecutionConfig.cpu(0);
    }

    private ExecutionConfig tensorRt(int maxBatch) {
        int opt = Math.min(o.pipelineBatch(), maxBatch);
        return ExecutionConfig.tensorRt(
                o.deviceId(),
                true,
                o.engineCache().toAbsolutePath().toString(),
                1,
                opt,
                Math.max(opt, maxBatch),
                false);
    }

    /** Back-to-back calls on the first {@code b} crops for {@code cellSeconds}, after a warm-up. */
    private Cell raw(
            OnnxEmbedder e,
            String stage,
            String id,
            String provider,
            int b,
            byte[][] crops,
            float[][] reference)
            throws Exception {
        float[][] v = e.embed(crops, b); // warm-up (and the first call's allocations)
        double cos = 1;
        for (int i = 0; i < b; i++) {
            cos = Math.min(cos, cosine(v[i], reference[i]));
        }
        List<Long> calls = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + (long) (o.cellSeconds() * 1e9);
        while (System.nanoTime() < end || calls.size() < 3) {
            long t = System.nanoTime();
            e.embed(crops, b);
            calls.add(System.nanoTime() - t);
        }
        double wall = (System.nanoTime() - start) / 1e9;
        long busy = calls.stream().mapToLong(Long::longValue).sum();
        long[] sorted = calls.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Cell(
                stage,
                id,
                provider,
                b,
                calls.size() * (double) b / wall,
                percentile(sorted, 0.50) / 1e6,
                percentile(sorted, 0.99) / 1e6,
                busy / 1e9 / wall,
                cos);
    }

    /**
     * Host CPU per crop: thread CPU of decode, of Pillow resize + packing, and of packing for the
     * graph; then process CPU (all threads: the model's too) of each path with the model call.
     */
    private CpuCost cpuPerCrop(OnnxEmbedder e, String id, List<byte[]> jpegs) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        var decoder = new org.bloomstream.inference.image.CropImageDecoder(ImageLimits.DEFAULT);
        int s = e.imageSize();
        int n = jpegs.size();
        int rounds = 3;
        List<byte[]> raw = new ArrayList<>();
        int w = 0;
        int h = 0;
        long t0 = threads.getCurrentThreadCpuTime();
        for (int r = 0; r < rounds; r++) {
            raw.clear();
            for (byte[] j : jpegs) {
                BufferedImage img = decoder.decode(j);
                w = img.getWidth();
                h = img.getHeight();
                // as the job's decoder emits them (BGR); the resize below only times the work
                raw.add(AntialiasedResize.bgrBytes(img));
            }
        }
        double decodeMs = (threads.getCurrentThreadCpuTime() - t0) / 1e6 / (rounds * n);
        byte[][] rawArr = raw.toArray(new byte[0][]);
        byte[][] resized = new byte[n][];
        int batch = Math.min(n, o.pipelineBatch());
        // Warm both paths, then measure.
        e.run(e.pack(rawArr, batch, w, h));
        long t1 = threads.getCurrentThreadCpuTime();
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < n; i++) {
                resized[i] = AntialiasedResize.resize(rawArr[i], w, h, s, s);
            }
            for (int i = 0; i + batch <= n; i += batch) {
                e.pack(Arrays.copyOfRange(resized, i, i + batch), batch, s, s);
            }
        }
        double pillowMs = (threads.getCurrentThreadCpuTime() - t1) / 1e6 / (rounds * n);
        long t2 = threads.getCurrentThreadCpuTime();
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i + batch <= n; i += batch) {
                e.pack(Arrays.copyOfRange(rawArr, i, i + batch), batch, w, h);
            }
        }
        double graphMs = (threads.getCurrentThreadCpuTime() - t2) / 1e6 / (rounds * n);
        double pillowProcess = processCpuPerCrop(e, resized, batch, s, s, true, rawArr, w, h);
        double graphProcess = processCpuPerCrop(e, rawArr, batch, w, h, false, null, 0, 0);
        return new CpuCost(id, decodeMs, pillowMs, graphMs, pillowProcess, graphProcess);
    }

    private static double processCpuPerCrop(
            Embedder e,
            byte[][] crops,
            int batch,
            int w,
            int h,
            boolean resizeFirst,
            byte[][] raw,
            int rw,
            int rh)
            throws Exception {
        var os =
                (com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean();
        int s = e.imageSize();
        long start = os.getProcessCpuTime();
        int done = 0;
        // Several rounds: process CPU time ticks coarsely (10 ms on Linux).
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i + batch <= crops.length; i += batch) {
                byte[][] b = Arrays.copyOfRange(crops, i, i + batch);
                if (resizeFirst) {
                    for (int k = 0; k < batch; k++) {
                        b[k] = AntialiasedResize.resize(raw[i + k], rw, rh, s, s);
                    }
                }
                e.run(e.pack(b, batch, w, h));
                done += batch;
            }
        }
        return (os.getProcessCpuTime() - start) / 1e6 / Math.max(1, done);
    }

    /** The Flink job: source, decode only, micro-batcher with resize in the graph, collect. */
    private Cell pipeline(
            Path model, String id, String provider, List<byte[]> jpegs, OnnxEmbedder fp32)
            throws Exception {
        // The fp32 Pillow-path embedding of each distinct crop: the cosine reference.
        var decoder = new org.bloomstream.inference.image.CropImageDecoder(ImageLimits.DEFAULT);
        int s = fp32.imageSize();
        float[][] reference = new float[jpegs.size()][];
        for (int i = 0; i < jpegs.size(); i++) {
            BufferedImage img = decoder.decode(jpegs.get(i));
            reference[i] =
                    fp32.embed(new byte[][] {AntialiasedResize.resizeToRgb(img, s, s)}, 1)[0];
        }
        Configuration conf = new Configuration();
        conf.set(
                TaskManagerOptions.NUM_TASK_SLOTS,
                Math.max(o.parallelism(), o.decodeParallelism()));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(conf);
        ExecutionConfig exec =
                o.gpu()
                        ? tensorRt(Math.max(128, o.pipelineBatch()))
                        : ExecutionConfig.cpu(
                                Math.max(
                                        1,
                                        Runtime.getRuntime().availableProcessors()
                                                / o.parallelism()));
        String path = model.toAbsolutePath().toString();
        var decoded =
                env.fromSequence(0, o.pipelineCrops() - 1)
                        .setParallelism(o.decodeParallelism())
                        .map(new MakeRecord(jpegs, o.cropEdge()))
                        .returns(TypeInformation.of(SourceRecord.class))
                        .setParallelism(o.decodeParallelism())
                        .transform(
                                "decode",
                                TypeInformation.of(DecodedCrop.class),
                                new ProcessOperator<>(
                                        new CropDecodeFunction(
                                                s, ImageLimits.DEFAULT, AlphaPolicy.DROP, true)))
                        .setParallelism(o.decodeParallelism());
        var embedded =
                decoded.transform(
                                "embed",
                                TypeInformation.of(EmbeddedCell.class),
                                new org.bloomstream.inference.batch.MicroBatchEmbedder(
                                        EmbedderFactory.onnx(Path.of(path), exec, true),
                                        new BatchPolicy(
                                                o.pipelineBatch(),
                                                Duration.ofMillis(20),
                                                o.inFlight())))
                        .setParallelism(o.parallelism());
        var figures =
                embedded.map(new Figures(reference))
                        .returns(PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO)
                        .setParallelism(o.parallelism());
        List<double[]> rows = new ArrayList<>();
        try (CloseableIterator<double[]> it = figures.executeAndCollect("bench-gpu")) {
            it.forEachRemaining(rows::add);
        }
        if (rows.size() != o.pipelineCrops()) {
            throw new IllegalStateException(
                    "pipeline embedded " + rows.size() + " of " + o.pipelineCrops() + " crops");
        }
        // Steady state: from the 10th to the 90th percentile of arrivals.
        double[] arrivals = rows.stream().mapToDouble(r -> r[0]).sorted().toArray();
        int lo = arrivals.length / 10;
        int hi = Math.max(lo + 1, arrivals.length * 9 / 10);
        double secs = (arrivals[hi - 1] - arrivals[lo]) / 1e9;
        double rate = secs > 0 ? (hi - 1 - lo) / secs : Double.NaN;
        long[] latency = rows.stream().mapToLong(r -> (long) r[1]).sorted().toArray();
        double computeSecs = rows.stream().mapToDouble(r -> r[2]).sum() / 1e6;
        double wall = (arrivals[arrivals.length - 1] - arrivals[0]) / 1e9;
        double busy = wall > 0 ? Math.min(1.0, computeSecs / o.parallelism() / wall) : Double.NaN;
        double cos = rows.stream().mapToDouble(r -> r[3]).min().orElse(Double.NaN);
        return new Cell(
                "pipeline",
                id,
                provider + " K=" + o.inFlight(),
                o.pipelineBatch(),
                rate,
                percentile(latency, 0.50) / 1e3,
                percentile(latency, 0.99) / 1e3,
                busy,
                cos);
    }

    /** Crop i of the stream: distinct JPEG {@code i % n} as the gate would publish it. */
    static final class MakeRecord implements MapFunction<Long, SourceRecord> {
        private final List<byte[]> jpegs;
        private final int edge;

        MakeRecord(List<byte[]> jpegs, int edge) {
            this.jpegs = new ArrayList<>(jpegs);
            this.edge = edge;
        }

        @Override
        public SourceRecord map(Long i) {
            int k = (int) (i % jpegs.size());
            CellCrop c =
                    CellCrop.newBuilder()
                            .setCellId(i + ":" + k)
                            .setSpecimenId("bench")
                            .setScanId("bench")
                            .setScannerId("bench")
                            .setCaptureTime(Instant.EPOCH)
                            .setImage(ByteBuffer.wrap(jpegs.get(k)))
                            .setEncoding(ImageEncoding.JPEG)
                            .setWidth(edge)
                            .setHeight(edge)
                            .build();
            return new SourceRecord(
                    "bench", 0, i, 0L, null, Topics.CELLS_ACCEPTED.serializeValue(c));
        }
    }

    /**
     * Per cell: arrival (ns), batcher latency (queue + model call, us), its share of the model call
     * (us) and its cosine against the fp32 Pillow path.
     */
    static final class Figures implements MapFunction<EmbeddedCell, double[]> {
        private final float[][] reference;

        Figures(float[][] reference) {
            this.reference = reference;
        }

        @Override
        public double[] map(EmbeddedCell c) {
            int k = Integer.parseInt(c.meta.cellId.substring(c.meta.cellId.indexOf(':') + 1));
            return new double[] {
                System.nanoTime(),
                c.queueMicros + (double) c.computeMicros,
                c.computeMicros / (double) c.batchSize,
                cosine(c.embedding, reference[k])
            };
        }
    }

    /** Distinct JPEG crops of one size: smooth colour fields with noise, quality 90. */
    static List<byte[]> syntheticJpegs(int n, int edge) throws Exception {
        SplittableRandom r = new SplittableRandom(7);
        List<byte[]> out = new ArrayList<>();
        var writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try {
            for (int k = 0; k < n; k++) {
                BufferedImage img = new BufferedImage(edge, edge, BufferedImage.TYPE_INT_RGB);
                int cx = r.nextInt(edge);
                int cy = r.nextInt(edge);
                for (int y = 0; y < edge; y++) {
                    for (int x = 0; x < edge; x++) {
                        double d = Math.hypot(x - cx, y - cy) / edge;
                        int v = (int) (200 - 150 * Math.exp(-8 * d * d)) + r.nextInt(16);
                        int red = Math.min(255, v + 20);
                        int blue = Math.min(255, v + 40 * ((x * 7 + y * 3 + k) % 3));
                        img.setRGB(x, y, red << 16 | v << 8 | blue);
                    }
                }
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                var param = writer.getDefaultWriteParam();
                param.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(0.9f);
                try (var ios = ImageIO.createImageOutputStream(bytes)) {
                    writer.setOutput(ios);
                    writer.write(null, new javax.imageio.IIOImage(img, null, null), param);
                }
                out.add(bytes.toByteArray());
            }
        } finally {
            writer.dispose();
        }
        return out;
    }

    private static byte[][] randomCrops(int n, int s) {
        SplittableRandom r = new SplittableRandom(1);
        byte[][] crops = new byte[n][s * s * 3];
        for (byte[] c : crops) {
            for (int i = 0; i < c.length; i++) {
                c[i] = (byte) r.nextInt(256);
            }
        }
        return crops;
    }

    static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return na == 0 || nb == 0 ? (na == nb ? 1 : 0) : dot / Math.sqrt(na * nb);
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
