package org.bloomstream.inference.types;

/** A cell after the model: its embedding and where the batcher spent its time. */
public class EmbeddedCell {
    public CellMeta meta;
    public String embeddingModelId;
    public float[] embedding;

    public int queueMicros;
    public int computeMicros;
    public int batchSize;

    public EmbeddedCell() {}
}
