package org.bloomstream.inference.types;

/**
 * What the job carries for a cell besides its pixels: ids, provenance and decode timing. A Flink
 * POJO, so it serialises field by field without Kryo.
 */
public class CellMeta {
    public String cellId;
    public String specimenId;
    public String scanId;
    public String scannerId;
    public long captureTime;

    /** Ground truth when the crop came from labelled data; never an input to inference. */
    public String referenceLabel;

    /** How alpha was decoded: {@code drop} or {@code white} ({@code AlphaPolicy}, lower case). */
    public String alphaPolicy;

    /** Kafka timestamp of the accepted crop (the start of the end-to-end latency clock). */
    public long ingestTime;

    public int decodeMicros;

    public String sourceTopic;
    public int sourcePartition;
    public long sourceOffset;

    public CellMeta() {}

    @Override
    public String toString() {
        return "cell " + cellId + " of " + specimenId;
    }
}
