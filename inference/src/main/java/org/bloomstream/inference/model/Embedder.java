package org.bloomstream.inference.model;

/**
 * Turns a batch of preprocessed crops into embeddings. Not thread-safe: each Flink subtask opens
 * its own.
 */
public interface Embedder extends AutoCloseable {

    /** Identifies the weights; carried on every classified cell. */
    String modelId();

    int dim();

    /** Edge of the square input the crops must already have been resized to. */
    int imageSize();

    /**
     * Embeds {@code count} crops.
     *
     * @param rgbCrops each {@code imageSize*imageSize*3} bytes, RGB, row-major (HWC)
     * @return {@code count} vectors of {@link #dim()} floats
     */
    float[][] embed(byte[][] rgbCrops, int count) throws Exception;

    /** Which execution provider actually runs the model (for metrics and logs). */
    String provider();

    @Override
    void close();
}
