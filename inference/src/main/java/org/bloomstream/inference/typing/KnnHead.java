package org.bloomstream.inference.typing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.typing.knn.ExactSimilarityIndex;
import org.bloomstream.inference.typing.knn.OnnxSimilarityIndex;
import org.bloomstream.inference.typing.knn.SimilarityIndex;
import org.bloomstream.inference.typing.knn.TopK;

/**
 * k-nearest-neighbour typing by cosine similarity, as in the DinoBloom evaluation: the k most
 * similar reference cells vote, one vote each, and the probability of a class is its share of the
 * votes. Ties go to the class whose voters are more similar in total (scikit-learn, which the
 * paper's code uses, takes the first class instead; with k = 20 ties are rare and the difference
 * small). The reference embeddings are kept unit length; they are not centred, as in the paper.
 *
 * <p>The out-of-distribution similarity of a cell is its similarity to the single nearest reference
 * cell.
 *
 * <p>Serving runs the search as an ONNX {@code MatMul + TopK} graph on the embedder's provider
 * ({@link OnnxSimilarityIndex}), one call per micro-batch.
 */
public final class KnnHead implements CellTypeHead {
    private static final long serialVersionUID = 1L;
    public static final String KIND = "knn";

    /** The paper's larger k, and the default. */
    public static final int DEFAULT_K = 20;

    /** Calibrating the similarity threshold looks at no more than this many fitting cells. */
    static final int CALIBRATION_SAMPLE = 10_000;

    private final HeadInfo info;
    private final int k;
    private final float[] bank; // rows x dim, unit length
    private final int[] labels; // class index per bank row

    public KnnHead(HeadInfo info, int k, float[] bank, int[] labels) {
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
            System.arraycopy(Vectors.unit(rows[i]), 0, bank, i * dim, dim);
            labels[i] = vocab.indexOf(labelsOfRows.get(i));
            if (labels[i] < 0) {
                throw new IllegalArgumentException(
                        "label '" + labelsOfRows.get(i) + "' is not in the classes " + vocab);
            }
        }
        HeadInfo info =
                new HeadInfo(headId, embeddingModelId, dim, vocab, UnknownPolicy.OFF, provenance);
        KnnHead head = new KnnHead(info, k, bank, labels);
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
        return OnnxSimilarityIndex.open(bank, dim(), kk, exec);
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
        return new KnnHead(info.withUnknownPolicy(policy), k, bank, labels);
    }

    /** The same bank with another k. */
    public KnnHead withK(int newK) {
        return new KnnHead(info, newK, bank, labels);
    }

    public int k() {
        return k;
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
        return scorer(new ExactSimilarityIndex(bank, dim(), k));
    }

    private HeadScorer scorer(SimilarityIndex index) {
        int classes = classes().size();
        return new HeadScorer() {
            @Override
            public Scores score(float[][] embeddings, int n) {
                Vectors.checkRows(embeddings, n, dim());
                float[][] q = new float[n][];
                for (int i = 0; i < n; i++) {
                    q[i] = Vectors.unit(embeddings[i]);
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
                        if (votes[c] > votes[b]
                                || (votes[c] == votes[b] && simSum[c] > simSum[b])) {
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
