package org.bloomstream.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.typing.HeadInfo;
import org.bloomstream.inference.typing.HeadScorer;
import org.bloomstream.inference.typing.KnnHead;
import org.bloomstream.inference.typing.UnknownPolicy;
import org.bloomstream.inference.typing.Vectors;

/**
 * kNN typing throughput against a large reference bank: a {@link KnnHead} over {@code rows x dim}
 * random unit vectors, scored through the serving path ({@link HeadScorer}: normalise the queries,
 * search, count votes) at several micro-batch sizes, with the ONNX engine and the plain-Java one.
 *
 * <p>Random vectors: the cost of an exact search (one GEMM and a top-k per batch) does not depend
 * on what the vectors hold, so real embeddings would not change the figure.
 */
public final class KnnBench {

    /**
     * @param rows reference cells in the bank
     * @param dim embedding width
     * @param k neighbours
     * @param batches micro-batch sizes to measure
     * @param seconds measuring time per configuration (after a warm-up of a third of it)
     * @param threads ONNX Runtime intra-op threads, 0 = all cores
     * @param engines "onnx" and/or "java"
     * @param modelCropsPerSecond the embedder's rate the kNN time is compared with
     */
    public record Options(
            int rows,
            int dim,
            int k,
            List<Integer> batches,
            double seconds,
            int threads,
            List<String> engines,
            double modelCropsPerSecond) {}

    /** One measured configuration. */
    public record Row(
            String engine,
            int batch,
            double queriesPerSecond,
            double msPerBatch,
            double shareOfModelStage) {}

    /** All of it. */
    public record Result(Options options, double buildSeconds, List<Row> rows) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("bankRows", options.rows());
            m.put("dim", options.dim());
            m.put("k", options.k());
            m.put("threads", options.threads());
            m.put("cores", Runtime.getRuntime().availableProcessors());
            m.put("modelCropsPerSecond", options.modelCropsPerSecond());
            m.put("onnxBuildSeconds", buildSeconds);
            List<Map<String, Object>> rs = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("engine", r.engine());
                x.put("batch", r.batch());
                x.put("queriesPerSecond", r.queriesPerSecond());
                x.put("msPerBatch", r.msPerBatch());
                x.put("shareOfModelStage", r.shareOfModelStage());
                rs.add(x);
            }
            m.put("results", rs);
            return m;
        }

        /** The table {@code bench knn} ends with, one row per engine and batch size. */
        public void printTable(PrintStream out) {
            out.printf(
                    Locale.ROOT,
                    "%n%-6s %6s %14s %12s %26s%n",
                    "engine",
                    "batch",
                    "queries/s",
                    "ms/batch",
                    "share of model stage (*)");
            for (Row row : rows) {
                out.printf(
                        Locale.ROOT,
                        "%-6s %6d %14.1f %12.2f %25.1f%%%n",
                        row.engine(),
                        row.batch(),
                        row.queriesPerSecond(),
                        row.msPerBatch(),
                        100 * row.shareOfModelStage());
            }
            out.printf(
                    Locale.ROOT,
                    "(*) kNN time per cell / (kNN + model time per cell), model at %.0f crops/s%n",
                    options.modelCropsPerSecond());
        }
    }

    private final Options options;
    private final PrintStream out;

    public KnnBench(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public Result run() throws Exception {
        int rows = options.rows();
        int dim = options.dim();
        out.printf(
                Locale.ROOT,
                "bank: %,d x %d random unit vectors (%.0f MB), k = %d, %d cores%n",
                rows,
                dim,
                rows * (double) dim * 4 / 1e6,
                options.k(),
                Runtime.getRuntime().availableProcessors());
        SplittableRandom r = new SplittableRandom(42);
        float[] bank = new float[rows * dim];
        float[] v = new float[dim];
        for (int i = 0; i < rows; i++) {
            for (int d = 0; d < dim; d++) {
                v[d] = (float) gaussian(r);
            }
            System.arraycopy(Vectors.unit(v), 0, bank, i * dim, dim);
        }
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = i % 5;
        }
        KnnHead head =
                new KnnHead(
                        new HeadInfo(
                                "bench",
                                "bench",
                                dim,
                                List.of("a", "b", "c", "d", "e"),
                                UnknownPolicy.OFF,
                                Map.of()),
                        options.k(),
                        bank,
                        labels);
        int maxBatch = options.batches().stream().mapToInt(Integer::intValue).max().orElse(1);
        float[][] queries = new float[maxBatch][dim];
        for (float[] q : queries) {
            for (int d = 0; d < dim; d++) {
                q[d] = (float) gaussian(r);
            }
        }
        List<Row> results = new ArrayList<>();
        double build = 0;
        for (String engine : options.engines()) {
            long t0 = System.nanoTime();
            HeadScorer scorer;
            if (engine.equals("onnx")) {
                scorer = head.open(ExecutionConfig.cpu(options.threads()));
                build = (System.nanoTime() - t0) / 1e9;
                out.printf(
                        Locale.ROOT,
                        "onnx: graph built and session opened in %.1f s (%s)%n",
                        build,
                        scorer.engine());
            } else if (engine.equals("java")) {
                scorer = head.openExact();
            } else {
                throw new IllegalArgumentException("engine must be onnx or java, was " + engine);
            }
            try (scorer) {
                for (int batch : options.batches()) {
                    double qps = measure(scorer, queries, batch);
                    double perCell = 1 / qps;
                    double modelPerCell = 1 / options.modelCropsPerSecond();
                    Row row =
                            new Row(
                                    engine,
                                    batch,
                                    qps,
                                    1000.0 * batch / qps,
                                    perCell / (perCell + modelPerCell));
                    results.add(row);
                    out.printf(
                            Locale.ROOT,
                            "  %-5s batch %4d: %10.1f queries/s  %8.2f ms/batch%n",
                            engine,
                            batch,
                            qps,
                            row.msPerBatch());
                }
            }
        }
        return new Result(options, build, results);
    }

    private double measure(HeadScorer scorer, float[][] queries, int batch) {
        long warm = System.nanoTime() + (long) (options.seconds() / 3 * 1e9);
        do {
            scorer.score(queries, batch);
        } while (System.nanoTime() < warm);
        long n = 0;
        long start = System.nanoTime();
        long end = start + (long) (options.seconds() * 1e9);
        do {
            scorer.score(queries, batch);
            n += batch;
        } while (System.nanoTime() < end);
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller; SplittableRandom has no nextGaussian on Java 17.
        double u = 1 - r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
    }
}
