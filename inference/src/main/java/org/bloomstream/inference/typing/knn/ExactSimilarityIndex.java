package org.bloomstream.inference.typing.knn;

/**
 * The plain-Java search: one dot product per query and bank row, and a partial insertion sort for
 * the top k. The reference the ONNX search is tested against, and fast enough for small banks
 * (evaluation folds, tests); for a 100k bank it is an order of magnitude slower than ONNX Runtime's
 * matrix multiply ({@code bloomstream bench knn} prints both), because the JIT does not vectorise a
 * float dot product.
 */
public final class ExactSimilarityIndex implements SimilarityIndex {
    private final float[] bank;
    private final int dim;
    private final int rows;
    private final int k;

    /**
     * @param bank {@code rows * dim} unit-length vectors, row-major (not copied)
     * @param k neighbours per query (capped at the bank size)
     */
    public ExactSimilarityIndex(float[] bank, int dim, int k) {
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
                float s = 0;
                for (int d = 0; d < dim; d++) {
                    s += x[d] * bank[off + d];
                }
                if (filled < k || s > sims[base + k - 1]) {
                    // Insert keeping the row sorted, most similar first; equal scores keep the
                    // lower bank index first (stable), as ONNX Runtime's TopK does.
                    int pos = Math.min(filled, k - 1);
                    while (pos > 0 && sims[base + pos - 1] < s) {
                        sims[base + pos] = sims[base + pos - 1];
                        idx[base + pos] = idx[base + pos - 1];
                        pos--;
                    }
                    sims[base + pos] = s;
                    idx[base + pos] = r;
                    if (filled < k) {
                        filled++;
                    }
                }
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
