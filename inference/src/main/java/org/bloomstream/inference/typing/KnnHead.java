package org.bloomstream.inference.typing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.typing.knn.ExactEuclideanIndex;
import org.bloomstream.inference.typing.knn.ExactSimilarityIndex;
import org.bloomstream.inference.typing.knn.OnnxSimilarityIndex;
import org.bloomstream.inference.typing.knn.SimilarityIndex;
import org.bloomstream.inference.typing.knn.TopK;

/**
 * k-nearest-neighbour typing with one of two metrics, recorded in the head file:
 *
 * <ul>
 *   <li>{@link Metric#COSINE} (the default, bloomstream's own): the bank and the queries are scaled
 *       to unit length and ranked by cosine similarity. Ties in the vote go to the class whose
 *       voters are more similar in total.
 *   <li>{@link Metric#EUCLIDEAN}: scikit-learn's default {@code KNeighborsClassifier}, which the
 *       DinoBloom evaluation code uses: raw embeddings ranked by Euclidean distance, equal
 *       distances to the lower bank row, and ties in the vote to the first class in the head's
 *       class order (scikit-learn: the first in sorted label order). The similarity of a cell is
 *       minus its distance.
 * </ul>
 *
 * In both, the k nearest reference cells vote, one vote each, and the probability of a class is its
 * share of the votes. The out-of-distribution similarity of a cell is its similarity to the single
 * nearest reference cell.
 *
 * <p>Serving runs the search as an ONNX {@code MatMul + TopK} graph on the embedder's provider
 * ({@link OnnxSimilarityIndex}), one call per micro-batch, in float32; {@link #openExact()} is the
 * plain-Java search (double precision for the Euclidean metric).
 */
public final class KnnHead implements CellTypeHead {
    private static final long serialVersionUID = 1L;
    public static final String KIND = "knn";

    /** The larger of DinoBloom's two k, and the default. */
    public static final int DEFAULT_K = 20;

    /** How reference cells are ranked. */
    public enum Metric {
        COSINE("cosine"),
        EUCLIDEAN("euclidean");

        public final String label;

        Metric(String label) {
            this.label = label;
        }

        public static Metric parse(String s) {
            for (Metric m : values()) {
                if (m.label.equalsIgnoreCase(s)) {
                    return m;
                }
            }
            throw new IllegalArgumentException(
                    "unknown kNN metric '" + s + "' (cosine, euclidean)");
        }
    }

    /** Calibrating the similarity threshold looks at no more than this many fitting cells. */
    static final int CALIBRATION_SAMPLE = 10_000;

    private final HeadInfo info;
    private final int k;
    private final Metric metric;
    private final float[] bank; // rows x dim; unit length for the cosine metric
    private final int[] labels; // class index per bank row

    /** A cosine head; {@code bank} rows must be unit length. */
    public KnnHead(HeadInfo info, int k, float[] bank, int[] labels) {
        this(info, k, Metric.COSINE, bank, labels);
    }

    /** {@code bank} rows must be unit length for the cosine metric, raw for the Euclidean one. */
    public KnnHead(HeadInfo info, int k, Metric metric, float[] bank, int[] labels) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, was " + k);
        }
        int dim = info.dim();
        if (bank.length == 0 || bank.length % dim != 0) {
            throw new IllegalArgumentException(
                    "the bank must hold whole " + dim + "-dimensional rows");
        }
        int rows = bank.length / dim;
        if (labels.length != rows) {
            throw new IllegalArgumentException(
                    labels.length + " labels for " + rows + " reference cells");
        }
        for (int l : labels) {
            if (l < 0 || l >= info.classes().size()) {
                throw new IllegalArgumentException(
                        "label index " + l + " outside the " + info.classes().size() + " classes");
            }
        }
        this.info = info;
        this.k = k;
        this.metric = java.util.Objects.requireNonNull(metric, "metric");
        this.bank = bank;
        this.labels = labels;
    }

    /**
     * A head whose bank is the fitting cells themselves.
     *
     * @param classes the class vocabulary, in order; null means the labels' distinct values, sorted
     * @param minConfidence recorded in the head's {@link UnknownPolicy}
     * @param similarityQuantile the out-of-distribution threshold is this quantile of the fitting
     *     cells' similarities to their nearest other fitting cell (leave-one-out; on a seeded
     *     sample of at most {@value #CALIBRATION_SAMPLE} cells); NaN leaves the check off
     */
    public static KnnHead fit(
            String headId,
            String embeddingModelId,
            List<String> classes,
            List<String> labelsOfRows,
            float[][] rows,
            int k,
            double minConfidence,
            double similarityQuantile,
            Map<String, String> provenance)
            throws IOException {
        return fit(
                headId,
                embeddingModelId,
                classes,
                labelsOfRows,
                rows,
                k,
                Metric.COSINE,
                minConfidence,
                similarityQuantile,
                provenance);
    }

    /** As above, with the metric. */
    public static KnnHead fit(
            String headId,
            String embeddingModelId,
            List<String> classes,
            List<String> labelsOfRows,
            float[][] rows,
            int k,
            Metric metric,
            double minConfidence,
            double similarityQuantile,
            Map<String, String> provenance)
            throws IOException {
        if (rows.length == 0 || rows.length != labelsOfRows.size()) {
            throw new IllegalArgumentException("need one label per embedding, and at least one");
        }
        List<String> vocab =
                classes != null ? classes : new ArrayList<>(new TreeSet<>(labelsOfRows));
        int dim = rows[0].length;
        float[] bank = new float[rows.length * dim];
        int[] labels = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != dim) {
                throw new IllegalArgumentException("embeddings differ in dimension");
            }
            float[] row = metric == Metric.COSINE ? Vectors.unit(rows[i]) : rows[i];
            System.arraycopy(row, 0, bank, i * dim, dim);
            labels[i] = vocab.indexOf(labelsOfRows.get(i));
            if (labels[i] < 0) {
                throw new IllegalArgumentException(
                        "label '" + labelsOfRows.get(i) + "' is not in the classes " + vocab);
            }
        }
        HeadInfo info =
                new HeadInfo(headId, embeddingModelId, dim, vocab, UnknownPolicy.OFF, provenance);
        KnnHead head = new KnnHead(info, k, metric, bank, labels);
        double minSimilarity = Double.NEGATIVE_INFINITY;
        if (!Double.isNaN(similarityQuantile)) {
            minSimilarity = Vectors.quantile(head.leaveOneOutSimilarities(), similarityQuantile);
        }
        return head.withUnknownPolicy(
                new UnknownPolicy(minConfidence, minSimilarity, similarityQuantile));
    }

    /**
     * Each sampled fitting cell's similarity to its nearest <em>other</em> fitting cell: what a new
     * cell like the fitting cells would score.
     */
    double[] leaveOneOutSimilarities() throws IOException {
        int rows = rows();
        if (rows < 2) {
            return new double[] {1.0};
        }
        int[] sample = new int[Math.min(rows, CALIBRATION_SAMPLE)];
        if (sample.length == rows) {
            for (int i = 0; i < rows; i++) {
                sample[i] = i;
            }
        } else {
            Random r = new Random(rows);
            for (int i = 0; i < sample.length; i++) {
                sample[i] = r.nextInt(rows);
            }
        }
        double[] out = new double[sample.length];
        int dim = dim();
        try (SimilarityIndex index = searchIndex(2, ExecutionConfig.cpu(0))) {
            int batch = 256;
            float[][] q = new float[batch][dim];
            for (int start = 0; start < sample.length; start += batch) {
                int n = Math.min(batch, sample.length - start);
                for (int i = 0; i < n; i++) {
                    System.arraycopy(bank, sample[start + i] * dim, q[i], 0, dim);
                }
                TopK top = index.search(q, n);
                for (int i = 0; i < n; i++) {
                    int self = sample[start + i];
                    out[start + i] =
                            top.index(i, 0) != self ? top.similarity(i, 0) : top.similarity(i, 1);
                }
            }
        }
        return out;
    }

    /** The serving search: ONNX Runtime, whatever the bank size, so tests exercise it too. */
    private SimilarityIndex searchIndex(int kk, ExecutionConfig exec) throws IOException {
        return metric == Metric.COSINE
                ? OnnxSimilarityIndex.open(bank, dim(), kk, exec)
                : OnnxSimilarityIndex.openEuclidean(bank, dim(), kk, exec);
    }

    @Override
    public HeadInfo info() {
        return info;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public KnnHead withUnknownPolicy(UnknownPolicy policy) {
        return new KnnHead(info.withUnknownPolicy(policy), k, metric, bank, labels);
    }

    /** The same bank with another k. */
    public KnnHead withK(int newK) {
        return new KnnHead(info, newK, metric, bank, labels);
    }

    public int k() {
        return k;
    }

    public Metric metric() {
        return metric;
    }

    /** Number of reference cells. */
    public int rows() {
        return labels.length;
    }

    float[] bank() {
        return bank;
    }

    int[] labels() {
        return labels;
    }

    /** Scores with the ONNX search on {@code exec}'s provider (see {@link OnnxSimilarityIndex}). */
    @Override
    public HeadScorer open(ExecutionConfig exec) throws IOException {
        return scorer(searchIndex(k, exec));
    }

    /** Scores with the plain-Java search: the reference, and fine for small banks. */
    public HeadScorer openExact() {
        return scorer(
                metric == Metric.COSINE
                        ? new ExactSimilarityIndex(bank, dim(), k)
                        : new ExactEuclideanIndex(bank, dim(), k));
    }

    private HeadScorer scorer(SimilarityIndex index) {
        int classes = classes().size();
        return new HeadScorer() {
            @Override
            public Scores score(float[][] embeddings, int n) {
                Vectors.checkRows(embeddings, n, dim());
                float[][] q = new float[n][];
                for (int i = 0; i < n; i++) {
                    q[i] = metric == Metric.COSINE ? Vectors.unit(embeddings[i]) : embeddings[i];
                }
                TopK top = index.search(q, n);
                float[][] p = new float[n][classes];
                float[] sim = new float[n];
                int[] best = new int[n];
                int[] votes = new int[classes];
                double[] simSum = new double[classes];
                for (int i = 0; i < n; i++) {
                    java.util.Arrays.fill(votes, 0);
                    java.util.Arrays.fill(simSum, 0);
                    for (int r = 0; r < top.k(); r++) {
                        int c = labels[top.index(i, r)];
                        votes[c]++;
                        simSum[c] += top.similarity(i, r);
                    }
                    sim[i] = top.similarity(i, 0);
                    int b = 0;
                    for (int c = 0; c < classes; c++) {
                        p[i][c] = votes[c] / (float) top.k();
                        boolean cosineTie =
                                metric == Metric.COSINE
                                        && votes[c] == votes[b]
                                        && simSum[c] > simSum[b];
                        if (votes[c] > votes[b] || cosineTie) {
                            b = c;
                        }
                    }
                    best[i] = b;
                }
                return new Scores(p, sim, best);
            }

            @Override
            public String engine() {
                return index.engine();
            }

            @Override
            public void close() {
                index.close();
            }
        };
    }
}
