package org.bloomstream.inference.model;

/**
 * A stand-in for the model, for measuring the plumbing around it ({@code --provider none}): it
 * keeps the real model's identity and width, so heads and MIL models fitted on that model still
 * load, and answers with cheap pixel statistics instead of running the network.
 *
 * <p>With {@code resizesInGraph} it takes crops at their decoded size, as a model whose graph
 * resizes them would: the plumbing of a GPU host, where the CPU only decodes.
 *
 * <p>Only for benchmarks: its "embeddings" carry colour, not morphology, so cell types and calls
 * made from them are meaningless.
 */
final class NullEmbedder implements Embedder {
    private final EmbedderManifest manifest;
    private final boolean resizesInGraph;

    NullEmbedder(EmbedderManifest manifest) {
        this(manifest, false);
    }

    NullEmbedder(EmbedderManifest manifest, boolean resizesInGraph) {
        this.manifest = manifest;
        this.resizesInGraph = resizesInGraph;
    }

    @Override
    public Packed pack(byte[][] rgb, int count, int width, int height) throws Exception {
        return resizesInGraph
                ? new Crops(rgb, count)
                : Embedder.super.pack(rgb, count, width, height);
    }

    @Override
    public boolean resizesInGraph() {
        return resizesInGraph;
    }

    @Override
    public String modelId() {
        return manifest.modelId();
    }

    @Override
    public int dim() {
        return manifest.embeddingDim();
    }

    @Override
    public int imageSize() {
        return manifest.imageSize();
    }

    @Override
    public float[][] embed(byte[][] rgbCrops, int count) {
        int d = dim();
        float[][] out = new float[count][d];
        for (int n = 0; n < count; n++) {
            byte[] rgb = rgbCrops[n];
            int stride = Math.max(3, (rgb.length / (3 * d)) * 3);
            for (int j = 0; j < d; j++) {
                int i = Math.min(rgb.length - 3, j * stride) + j % 3;
                out[n][j] = ((rgb[i] & 0xff) - 128) / 64f;
            }
        }
        return out;
    }

    @Override
    public String provider() {
        return "none";
    }

    @Override
    public void close() {}
}
