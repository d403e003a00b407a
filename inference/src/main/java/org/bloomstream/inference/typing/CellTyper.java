package org.bloomstream.inference.typing;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;
import org.bloomstream.inference.types.CellMeta;
import org.bloomstream.inference.types.EmbeddedCell;
import org.bloomstream.schemas.avro.CellTimings;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.LabelProbability;

/**
 * Gives every embedded cell a type and per-class probabilities, and builds the wire record. The
 * embedding stays on the record: the MIL stage needs it; the sink drops it unless configured to
 * emit embeddings.
 */
public class CellTyper extends RichMapFunction<EmbeddedCell, ClassifiedCell> {
    private static final long serialVersionUID = 1L;

    private final CentroidHead head;
    private transient Counter typed;

    public CellTyper(CentroidHead head) {
        this.head = head;
    }

    @Override
    public void open(OpenContext openContext) {
        typed = getRuntimeContext().getMetricGroup().counter("cellsTyped");
    }

    @Override
    public ClassifiedCell map(EmbeddedCell cell) {
        if (!head.embeddingModelId().equals(cell.embeddingModelId)) {
            head.checkCompatible(cell.embeddingModelId, cell.embedding.length);
        }
        float[] p = head.probabilities(cell.embedding);
        List<String> classes = head.classes();
        int best = 0;
        List<LabelProbability> probs = new ArrayList<>(p.length);
        for (int c = 0; c < p.length; c++) {
            probs.add(new LabelProbability(classes.get(c), p[c]));
            if (p[c] > p[best]) {
                best = c;
            }
        }
        List<Float> embedding = new ArrayList<>(cell.embedding.length);
        for (float v : cell.embedding) {
            embedding.add(v);
        }
        CellMeta m = cell.meta;
        typed.inc();
        return ClassifiedCell.newBuilder()
                .setCellId(m.cellId)
                .setSpecimenId(m.specimenId)
                .setScanId(m.scanId)
                .setScannerId(m.scannerId)
                .setCaptureTime(Instant.ofEpochMilli(m.captureTime))
                .setCellType(classes.get(best))
                .setTypeConfidence(p[best])
                .setTypeProbabilities(probs)
                .setEmbeddingModelId(cell.embeddingModelId)
                .setHeadModelId(head.headId())
                .setEmbedding(embedding)
                .setMilAttention(null)
                .setReferenceLabel(m.referenceLabel)
                .setTimings(
                        new CellTimings(
                                Instant.ofEpochMilli(m.ingestTime),
                                m.decodeMicros,
                                cell.queueMicros,
                                cell.computeMicros,
                                cell.batchSize,
                                Instant.now()))
                .build();
    }
}
