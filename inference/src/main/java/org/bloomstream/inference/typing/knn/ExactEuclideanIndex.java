package org.bloomstream.inference.typing.knn;

/**
 * The plain-Java Euclidean search, in double precision, as scikit-learn's brute-force {@code
 * KNeighborsClassifier} ranks neighbours: by squared distance {@code sum((x - y)^2)}, equal
 * distances to the lower bank row (a neighbour whose distance equals the k-th's does not displace
 * it). {@link TopK} holds minus the distance as the similarity, so larger is nearer as for cosine.
 * The bank is raw embeddings, not unit length.
 */
public final class ExactEuclideanIndex implements SimilarityIndex {
    private final float[] bank;
    private final int dim;
    private final int rows;
    private final int k;

    /**
     * @param bank {@code rows * dim} raw vectors, row-major (not copied)
     * @param k neighbours per query (capped at the bank size)
     */
    public ExactEuclideanIndex(float[] bank, int dim, int k) {
        if (dim < 1 || bank.length % dim != 0 || bank.length == 0) {
            throw new IllegalArgumentException("bank must be a non-empty rows x " + dim + " array");
        }
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, was " + k);
        }
        this.bank = bank;
        this.dim = dim;
        this.rows = bank.length / dim;
        this.k = Math.min(k, rows);
    }

    @Override
    public TopK search(float[][] queries, int n) {
        float[] sims = new float[n * k];
        int[] idx = new int[n * k];
        double[] best = new double[k];
        for (int q = 0; q < n; q++) {
            float[] x = queries[q];
            if (x.length != dim) {
                throw new IllegalArgumentException(
                        "query has " + x.length + " dims, bank has " + dim);
            }
            int base = q * k;
            int filled = 0;
            for (int r = 0; r < rows; r++) {
                int off = r * dim;
                double s = 0;
                for (int d = 0; d < dim; d++) {
                    double diff = (double) x[d] - bank[off + d];
                    s += diff * diff;
                }
                if (filled < k || s < best[k - 1]) {
                    int pos = Math.min(filled, k - 1);
                    while (pos > 0 && best[pos - 1] > s) {
                        best[pos] = best[pos - 1];
                        idx[base + pos] = idx[base + pos - 1];
                        pos--;
                    }
                    best[pos] = s;
                    idx[base + pos] = r;
                    if (filled < k) {
                        filled++;
                    }
                }
            }
            for (int j = 0; j < k; j++) {
                sims[base + j] = (float) -Math.sqrt(best[j]);
            }
        }
        return new TopK(n, k, sims, idx);
    }

    @Override
    public int k() {
        return k;
    }

    @Override
    public String engine() {
        return "java";
    }

    @Override
    public void close() {}
}
