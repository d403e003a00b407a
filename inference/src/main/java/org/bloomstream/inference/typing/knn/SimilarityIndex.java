package org.bloomstream.inference.typing.knn;

/**
 * Exact top-k search over a fixed bank: cosine similarity over unit-length vectors (queries unit
 * length too, so the dot product is the cosine), or Euclidean distance over raw vectors (the
 * similarity is then minus the distance). Not thread-safe.
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
