package org.bloomstream.inference.model;

/**
 * Turns a batch of preprocessed crops into embeddings. Each Flink subtask opens its own. {@link
 * #embed} is not thread-safe; the split {@link #pack} / {@link #run} is what the micro-batcher uses
 * to keep batches in flight: {@code pack} on the operator's thread, {@code run} on worker threads,
 * concurrently with each other and (for implementations that say so with {@link #concurrentRuns()})
 * with other {@code run} calls.
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

    /** A batch ready for {@link #run}: the crops packed as the model takes them. */
    interface Packed {
        int count();
    }

    /** The default packing: keeps the crops, and {@link #run} calls {@link #embed}. */
    record Crops(byte[][] rgb, int count) implements Packed {}

    /**
     * Packs {@code count} crops of {@code width x height} for {@link #run}. Crops at {@link
     * #imageSize()} are already resized; other sizes need {@link #resizesInGraph()}.
     */
    default Packed pack(byte[][] rgb, int count, int width, int height) throws Exception {
        if (width != imageSize() || height != imageSize()) {
            throw new IllegalStateException(
                    "crop is "
                            + width
                            + "x"
                            + height
                            + " px, model takes "
                            + imageSize()
                            + " and does not resize in its graph");
        }
        return new Crops(rgb, count);
    }

    /** Runs a packed batch; {@code count} vectors of {@link #dim()} floats. */
    default float[][] run(Packed batch) throws Exception {
        Crops c = (Crops) batch;
        return embed(c.rgb(), c.count());
    }

    /** True when {@link #pack} takes crops at their decoded size and the graph resizes them. */
    default boolean resizesInGraph() {
        return false;
    }

    /**
     * True when {@link #run} may be called from several threads at once; otherwise the
     * micro-batcher runs one batch at a time (and packs the next meanwhile).
     */
    default boolean concurrentRuns() {
        return false;
    }

    /** Which execution provider actually runs the model (for metrics and logs). */
    String provider();

    @Override
    void close();
}
