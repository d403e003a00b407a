package org.bloomstream.inference.typing;

/**
 * A head opened for scoring. Not thread-safe; a kNN scorer holds a native ONNX Runtime session, so
 * close it.
 */
public interface HeadScorer extends AutoCloseable {

    /** Scores the first {@code n} rows of {@code embeddings} as one batch. */
    Scores score(float[][] embeddings, int n);

    /** Where the scoring runs, for logs and metrics ("java", "onnx:cpu", "onnx:cuda:0"). */
    default String engine() {
        return "java";
    }

    @Override
    default void close() {}
}
