package org.bloomstream.inference.typing;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.types.CellMeta;
import org.bloomstream.inference.types.EmbeddedCell;
import org.bloomstream.schemas.avro.CellTimings;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.LabelProbability;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives every embedded cell a type, per-class probabilities and its similarity to the head's
 * nearest reference, and builds the wire record. A cell is typed {@value CellTypeHead#UNKNOWN}
 * under the {@link UnknownPolicy} (the head's, or one given here), with the reason on the record
 * and the probabilities still listed.
 *
 * <p>Types a micro-batch at a time: it buffers cells while the embedder says more of the same model
 * call follow ({@link EmbeddedCell#moreInBatch}) and then scores them together, which for a kNN
 * head is one matrix multiply against the bank instead of one pass over it per cell. It adds no
 * latency: the cells of a batch arrive back to back. The buffer is also flushed when it holds
 * {@link #MAX_BUFFER} cells, before every checkpoint barrier and at end of input, so the operator
 * holds no state.
 *
 * <p>Metrics: {@code cellsTyped}, {@code unknownCells} (and split by reason, {@code
 * unknownOutOfDistribution}, {@code unknownLowConfidence}), {@code typeConfidence} (a histogram of
 * the top probability in thousandths, since Flink histograms hold longs) and {@code typingMicros}
 * (scoring time per batch; compare with the embedder's {@code computeMicros}).
 *
 * <p>The embedding stays on the record: the MIL stage needs it; the sink drops it unless configured
 * to emit embeddings.
 */
public class CellTyper extends AbstractStreamOperator<ClassifiedCell>
        implements OneInputStreamOperator<EmbeddedCell, ClassifiedCell> {
    private static final long serialVersionUID = 2L;
    private static final Logger LOG = LoggerFactory.getLogger(CellTyper.class);

    /** The most cells typed in one call. */
    public static final int MAX_BUFFER = 1024;

    private final HeadLoader loader;
    private final UnknownPolicy policyOverride;
    private final ExecutionConfig execution;

    private transient CellTypeHead head;
    private transient HeadScorer scorer;
    private transient UnknownPolicy policy;
    private transient List<EmbeddedCell> cells;
    private transient List<Long> timestamps; // null entries: no timestamp

    private transient Counter typed;
    private transient Counter unknown;
    private transient Counter unknownOod;
    private transient Counter unknownLow;
    private transient Histogram confidence;
    private transient Histogram typingMicros;

    /**
     * @param loader where the head comes from (a file, read on the task manager)
     * @param policyOverride thresholds for unknown cells; null uses the ones in the head file
     * @param execution where a kNN head's search runs (the embedder's provider); others ignore it
     */
    public CellTyper(HeadLoader loader, UnknownPolicy policyOverride, ExecutionConfig execution) {
        this.loader = loader;
        this.policyOverride = policyOverride;
        this.execution = execution;
    }

    /** An in-memory head with its own thresholds, on CPU. */
    public CellTyper(CellTypeHead head) {
        this(HeadLoader.of(head), null, ExecutionConfig.cpu(1));
    }

    @Override
    public void open() throws Exception {
        super.open();
        head = loader.load();
        policy = policyOverride != null ? policyOverride : head.unknownPolicy();
        scorer = head.open(execution);
        cells = new ArrayList<>();
        timestamps = new ArrayList<>();
        MetricGroup g = getMetricGroup();
        typed = g.counter("cellsTyped");
        unknown = g.counter("unknownCells");
        unknownOod = g.counter("unknownOutOfDistribution");
        unknownLow = g.counter("unknownLowConfidence");
        confidence = g.histogram("typeConfidence", new DescriptiveStatisticsHistogram(1024));
        typingMicros = g.histogram("typingMicros", new DescriptiveStatisticsHistogram(1024));
        // Prometheus takes numbers only: the head is a label on a constant 1.
        g.addGroup("head", head.headId()).addGroup("kind", head.kind()).gauge("headInfo", () -> 1);
        LOG.info(
                "cell-type head {} ({}, {} classes, {}) on {}; unknown below confidence {} or"
                        + " similarity {}",
                head.headId(),
                head.kind(),
                head.classes().size(),
                head.embeddingModelId(),
                scorer.engine(),
                policy.minConfidence(),
                policy.minSimilarity());
    }

    @Override
    public void processElement(StreamRecord<EmbeddedCell> element) {
        EmbeddedCell cell = element.getValue();
        cells.add(cell);
        timestamps.add(element.hasTimestamp() ? element.getTimestamp() : null);
        if (!cell.moreInBatch || cells.size() >= MAX_BUFFER) {
            flush();
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        flush();
    }

    @Override
    public void finish() throws Exception {
        flush();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            if (scorer != null) {
                scorer.close();
            }
        } finally {
            super.close();
        }
    }

    /** Cells waiting for the rest of their batch; visible for the harness tests. */
    int buffered() {
        return cells.size();
    }

    private void flush() {
        int n = cells.size();
        if (n == 0) {
            return;
        }
        // Taken out of the buffer first: if typing throws (a head for another model), the job
        // fails on this batch once, not again on every later flush.
        List<EmbeddedCell> batch = new ArrayList<>(cells);
        List<Long> stamps = new ArrayList<>(timestamps);
        cells.clear();
        timestamps.clear();
        float[][] x = new float[n][];
        for (int i = 0; i < n; i++) {
            EmbeddedCell c = batch.get(i);
            if (!head.embeddingModelId().equals(c.embeddingModelId)) {
                head.checkCompatible(c.embeddingModelId, c.embedding.length);
            }
            x[i] = c.embedding;
        }
        long start = System.nanoTime();
        Scores scores = scorer.score(x, n);
        typingMicros.update((System.nanoTime() - start) / 1000);
        for (int i = 0; i < n; i++) {
            Prediction p = scores.prediction(i, head, policy);
            ClassifiedCell out = record(batch.get(i), scores.probabilities()[i], p);
            Long ts = stamps.get(i);
            output.collect(ts != null ? new StreamRecord<>(out, ts) : new StreamRecord<>(out));
        }
    }

    private ClassifiedCell record(EmbeddedCell cell, float[] p, Prediction prediction) {
        List<String> classes = head.classes();
        List<LabelProbability> probs = new ArrayList<>(p.length);
        for (int c = 0; c < p.length; c++) {
            probs.add(new LabelProbability(classes.get(c), p[c]));
        }
        List<Float> embedding = new ArrayList<>(cell.embedding.length);
        for (float v : cell.embedding) {
            embedding.add(v);
        }
        typed.inc();
        confidence.update(Math.round(prediction.confidence() * 1000));
        if (prediction.unknown()) {
            unknown.inc();
            if (UnknownPolicy.OUT_OF_DISTRIBUTION.equals(prediction.unknownReason())) {
                unknownOod.inc();
            } else {
                unknownLow.inc();
            }
        }
        CellMeta m = cell.meta;
        return ClassifiedCell.newBuilder()
                .setCellId(m.cellId)
                .setSpecimenId(m.specimenId)
                .setScanId(m.scanId)
                .setScannerId(m.scannerId)
                .setCaptureTime(Instant.ofEpochMilli(m.captureTime))
                .setCellType(prediction.type())
                .setTypeConfidence(prediction.confidence())
                .setTypeProbabilities(probs)
                .setEmbeddingModelId(cell.embeddingModelId)
                .setHeadModelId(head.headId())
                .setUnknownReason(prediction.unknownReason())
                .setTypeSimilarity(prediction.similarity())
                .setEmbedding(embedding)
                .setMilAttention(null)
                .setReferenceLabel(m.referenceLabel)
                .setAlphaPolicy(m.alphaPolicy)
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
