package org.bloomstream.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.bloomstream.aggregation.alert.AlertPolicy;
import org.bloomstream.devkit.demo.OutputTally;
import org.bloomstream.devkit.embedded.EmbeddedRuntime;
import org.bloomstream.devkit.feed.CellKind;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.feed.FeedProducer;
import org.bloomstream.devkit.feed.SpecimenProfile;
import org.bloomstream.devkit.fixtures.DemoHead;
import org.bloomstream.devkit.synthetic.CellRenderer;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.inference.batch.BatchPolicy;
import org.bloomstream.inference.model.EmbedderManifest;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.model.OnnxEmbedder;
import org.bloomstream.job.JobConfig;

/**
 * How close the streaming pipeline gets to the model's own speed: the same ONNX model, batch size
 * and total CPU threads, measured (1) as a bare ONNX Runtime session in a loop and (2) through
 * Kafka, the ingest gate, the Flink job (decode, micro-batch, embed, type) and the classified
 * topic.
 *
 * <p>Pipeline throughput is taken in steady state: the time between the 10th and the 90th
 * percentile of classified cells, so JVM warm-up, job start and the last checkpoint's commit do not
 * count. Exactly-once output arrives in checkpoint-sized steps, so the run is sized to last many
 * checkpoint intervals.
 */
public final class EmbedBench {

    /**
     * @param model the embedder
     * @param rawExecution the raw session's provider and threads
     * @param instanceExecution each pipeline model instance's provider and threads
     * @param head its cell-type head (fitted if absent)
     * @param mil the MIL model manifest for that embedder (an untrained one is exported if absent)
     * @param home the repository root (for models/train_mil.py)
     * @param batchSize crops per model call, both ways
     * @param rawSeconds how long the raw session runs
     * @param pipelineSeconds roughly how long the pipeline run should last, at the raw rate
     * @param parallelism model instances in the pipeline; the raw session gets all their threads
     * @param workDir broker and gate files
     */
    public record Options(
            Path model,
            ExecutionConfig rawExecution,
            ExecutionConfig instanceExecution,
            Path head,
            Path mil,
            Path home,
            int batchSize,
            double rawSeconds,
            double pipelineSeconds,
            int parallelism,
            Path workDir) {}

    /** The figures. */
    public record Result(
            String modelId,
            int dim,
            int batchSize,
            int threads,
            double rawCropsPerSecond,
            double pipelineCropsPerSecond,
            long pipelineCrops) {
        public double ratio() {
            return pipelineCropsPerSecond / rawCropsPerSecond;
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", modelId);
            m.put("dim", dim);
            m.put("batch_size", batchSize);
            m.put("threads", threads);
            m.put("raw_ort_crops_per_second", round(rawCropsPerSecond));
            m.put("pipeline_crops_per_second", round(pipelineCropsPerSecond));
            m.put("pipeline_crops", pipelineCrops);
            m.put("ratio", Math.round(ratio() * 1000) / 1000.0);
            return m;
        }

        /** The one-row table {@code bench embed} ends with. */
        public void printTable(PrintStream out) {
            out.printf(
                    Locale.ROOT,
                    "%n%-28s %8s %6s %8s %14s %14s %7s%n",
                    "model",
                    "batch",
                    "dim",
                    "threads",
                    "raw ORT/s",
                    "pipeline/s",
                    "ratio");
            out.printf(
                    Locale.ROOT,
                    "%-28s %8d %6d %8d %14.1f %14.1f %7.3f%n",
                    modelId,
                    batchSize,
                    dim,
                    threads,
                    rawCropsPerSecond,
                    pipelineCropsPerSecond,
                    ratio());
        }
    }

    /**
     * The cell-type head and MIL manifest the job runs next to an embedder: the shipped fixtures
     * for the fixture embedder, otherwise {@code <stem>-linear.json} and {@code
     * <stem>-mil-random.json} beside the model, made on first use (see {@link #run()}).
     */
    public record Companions(Path head, Path mil) {
        public static Companions of(Path model, Path home) {
            if (model.equals(home.resolve(JobConfig.FIXTURE_EMBEDDER).toAbsolutePath())) {
                return new Companions(
                        home.resolve(JobConfig.FIXTURE_CELL_HEAD),
                        home.resolve(JobConfig.FIXTURE_MIL));
            }
            String stem = model.getFileName().toString().replaceFirst("\\.onnx$", "");
            return new Companions(
                    model.resolveSibling(stem + "-linear.json"),
                    model.resolveSibling(stem + "-mil-random.json"));
        }
    }

    private final Options options;
    private final PrintStream out;

    public EmbedBench(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public Result run() throws Exception {
        int totalThreads = options.rawExecution().intraOpThreads();
        ensureHeadAndMil();
        double raw;
        String modelId;
        int dim;
        try (OnnxEmbedder e = OnnxEmbedder.open(options.model(), options.rawExecution())) {
            modelId = e.modelId();
            dim = e.dim();
            raw = rawThroughput(e);
        }
        out.printf(
                Locale.ROOT,
                "raw ONNX Runtime: %.1f crops/s (%s, batch %d, %d threads)%n",
                raw,
                modelId,
                options.batchSize(),
                totalThreads);

        long crops = Math.max(200, Math.min(50_000, Math.round(raw * options.pipelineSeconds())));
        double pipeline = pipelineThroughput(crops);
        out.printf(
                Locale.ROOT,
                "pipeline (Kafka -> gate -> Flink -> classified): %.1f crops/s over %d crops%n",
                pipeline,
                crops);
        return new Result(modelId, dim, options.batchSize(), totalThreads, raw, pipeline, crops);
    }

    /**
     * The job needs a head and a MIL model for this embedder. The head is fitted on synthetic
     * cells; the MIL (trained in Python) is an untrained one of the right shape, which costs the
     * same to run as a trained one.
     */
    private void ensureHeadAndMil() throws Exception {
        if (!Files.isRegularFile(options.head())) {
            out.println("fitting a cell-type head for this embedder on synthetic cells ...");
            DemoHead.fit(options.model(), 10).head().write(options.head());
        }
        if (!Files.isRegularFile(options.mil())) {
            EmbedderManifest m = EmbedderManifest.forModel(options.model());
            String stem = options.mil().getFileName().toString().replaceFirst("\\.json$", "");
            List<String> cmd =
                    RandomMilGraphs.command(
                            options.home(),
                            m.embeddingDim(),
                            m.modelId(),
                            String.join(",", SpecimenProfile.labels()),
                            options.mil().resolveSibling(stem));
            out.println(
                    "exporting an untrained MIL model of the right shape: "
                            + String.join(" ", cmd));
            if (!RandomMilGraphs.export(cmd)) {
                throw new IllegalStateException(
                        "could not export a MIL model (needs Debian's python3-torch and"
                                + " python3-onnx); run the command above by hand");
            }
        }
    }

    /** Back-to-back batches of distinct random crops in one session, after a warm-up. */
    private double rawThroughput(OnnxEmbedder e) throws Exception {
        int s = e.imageSize();
        SplittableRandom r = new SplittableRandom(1);
        byte[][] batch = new byte[options.batchSize()][s * s * 3];
        for (byte[] crop : batch) {
            for (int i = 0; i < crop.length; i++) {
                crop[i] = (byte) r.nextInt(256);
            }
        }
        long warmUntil = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < warmUntil) {
            e.embed(batch, batch.length);
        }
        long n = 0;
        long start = System.nanoTime();
        long end = start + (long) (options.rawSeconds() * 1e9);
        while (System.nanoTime() < end || n == 0) {
            e.embed(batch, batch.length);
            n += batch.length;
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private double pipelineThroughput(long crops) throws Exception {
        List<Emission> feed = feed(crops);
        Files.createDirectories(options.workDir());
        try (EmbeddedRuntime rt =
                        EmbeddedRuntime.start(
                                new EmbeddedRuntime.Options(
                                        4,
                                        b ->
                                                JobConfig.defaults(b).toBuilder()
                                                        .parallelism(options.parallelism())
                                                        .decodeParallelism(options.parallelism())
                                                        .checkpointInterval(Duration.ofSeconds(1))
                                                        .embedderModel(options.model())
                                                        .head(options.head())
                                                        .milModel(options.mil())
                                                        .execution(options.instanceExecution())
                                                        .batch(
                                                                new BatchPolicy(
                                                                        options.batchSize(),
                                                                        Duration.ofMillis(100)))
                                                        .alertPolicy(AlertPolicy.DEFAULT)
                                                        .transactionalIdPrefix(
                                                                "bench-" + System.nanoTime())
                                                        .build(),
                                        false,
                                        options.workDir()));
                OutputTally tally = new OutputTally(rt.bootstrapServers());
                FeedProducer producer = new FeedProducer(rt.bootstrapServers())) {
            producer.send(feed, 0, null);
            // the plumbing benchmark's window (the 10th to the 90th percentile of classified
            // cells, or the whole run when the output is committed at once), with progress lines
            long[] lastPrint = {0};
            PlumbingBench.Window w =
                    PlumbingBench.steadyStateWindow(
                            () -> {
                                long n = tally.classified();
                                long now = System.nanoTime();
                                if (now - lastPrint[0] > 5_000_000_000L) {
                                    lastPrint[0] = now;
                                    out.printf("  %d/%d classified%n", n, crops);
                                }
                                return n;
                            },
                            rt::checkJobAlive,
                            crops,
                            null,
                            null,
                            Duration.ofMinutes(30));
            if (w.wholeRun()) {
                out.printf("  all output committed at once; rate over the whole run%n");
            }
            return w.cropsPerSecond();
        }
    }

    /** Pre-rendered crops (rendering is not what is measured), in specimens of 200. */
    private List<Emission> feed(long crops) {
        CellRenderer renderer = new CellRenderer(128);
        List<byte[]> images = new ArrayList<>();
        CellKind[] kinds = CellKind.values();
        for (int i = 0; i < 200; i++) {
            images.add(SyntheticScanner.renderJpeg(renderer, kinds[i % kinds.length], i));
        }
        return BenchKit.feed("BENCH", crops, 200, images, 128);
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
