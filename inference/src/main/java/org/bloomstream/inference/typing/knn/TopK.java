package org.bloomstream.inference.typing.knn;

/**
 * The {@code k} most similar bank rows for each of {@code n} queries, most similar first.
 *
 * @param n queries
 * @param k neighbours per query
 * @param similarity {@code [n * k]} similarities, row-major: cosine, or minus the Euclidean
 *     distance
 * @param index {@code [n * k]} bank row indices, row-major
 */
public record TopK(int n, int k, float[] similarity, int[] index) {
    public float similarity(int query, int rank) {
        return similarity[query * k + rank];
    }

    public int index(int query, int rank) {
        return index[query * k + rank];
    }
}
