package org.bloomstream.inference.types;

/** A cell after the model: its embedding and where the batcher spent its time. */
public class EmbeddedCell {
    public CellMeta meta;
    public String embeddingModelId;
    public float[] embedding;

    public int queueMicros;
    public int computeMicros;
    public int batchSize;

    /**
     * True when the embedder emits more cells of the same model call right after this one. The
     * cell-type operator buffers until a cell says false and then types the whole batch with one
     * matrix multiply. False by default, so a producer that does not set it gets each cell typed on
     * its own: correct, only slower.
     */
    public boolean moreInBatch;

    public EmbeddedCell() {}
}
