package org.bloomstream.inference.typing.knn;

/**
 * Exact top-k cosine-similarity search over a fixed bank of unit-length vectors. Queries must be
 * unit length too, so the dot product is the cosine similarity. Not thread-safe.
 */
public interface SimilarityIndex extends AutoCloseable {

    /** The {@link #k()} most similar bank rows for the first {@code n} queries. */
    TopK search(float[][] queries, int n);

    /** Neighbours per query: the requested k, or the bank size if smaller. */
    int k();

    /** What runs the search ("java", "onnx:cpu", "onnx:cuda:0"), for logs and benchmarks. */
    String engine();

    @Override
    void close();
}
