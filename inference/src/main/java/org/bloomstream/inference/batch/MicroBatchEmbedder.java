package org.bloomstream.inference.batch;

import java.time.Instant;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import org.bloomstream.inference.model.Embedder;
import org.bloomstream.inference.model.EmbedderFactory;
import org.bloomstream.inference.types.CellMeta;
import org.bloomstream.inference.types.DecodedCrop;
import org.bloomstream.inference.types.EmbeddedCell;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Buffers decoded crops and runs the embedder on whole batches.
 *
 * <p>Flushes on batch size, on a processing-time timer {@link BatchPolicy#maxDelay()} after the
 * first crop of a batch arrived, at end of input, and in {@link #prepareSnapshotPreBarrier}: the
 * buffer is always empty when a checkpoint is taken, so the operator has no state and exactly-once
 * needs nothing from it. The price is that a checkpoint waits for one model call.
 *
 * <p>Metrics separate the three things a dynamic batcher trades (Triton reports the same split):
 * {@code batchSize}, {@code queueMicros} (time a crop waited in the buffer) and {@code
 * computeMicros} (model time per batch); plus {@code cropsPerSecond} and the execution provider
 * actually in use ({@code executionProviderInfo}, labelled by provider).
 *
 * <p>Every emitted cell says whether more cells of its model call follow it ({@code
 * EmbeddedCell.moreInBatch}), so the cell-type operator downstream can type the batch as one.
 *
 * <p>Cells whose embedding is not finite, and whole batches the model fails on, go to {@link
 * #DEAD}: a poisoned crop must not stop the job, and replaying it from its source coordinates is
 * possible once the cause is fixed.
 */
public class MicroBatchEmbedder extends AbstractStreamOperator<EmbeddedCell>
        implements OneInputStreamOperator<DecodedCrop, EmbeddedCell>, ProcessingTimeCallback {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(MicroBatchEmbedder.class);

    public static final OutputTag<DeadLetter> DEAD = new OutputTag<>("embed-dead") {};
    static final String STAGE = "embed";

    private final EmbedderFactory factory;
    private final BatchPolicy policy;

    private transient Embedder embedder;
    private transient DecodedCrop[] buffer;
    private transient long[] enqueuedNanos;
    private transient long[] timestamps;
    private transient boolean[] hasTimestamp;
    private transient int count;

    /** Time of the one outstanding processing-time timer, or -1 if none. */
    private transient long timerDeadline;

    /** When the current batch must be flushed (its first crop + maxDelay), or -1 if empty. */
    private transient long batchDeadline;

    private transient Counter cellsEmbedded;
    private transient Counter batches;
    private transient Counter deadLetters;
    private transient Histogram batchSize;
    private transient Histogram queueMicros;
    private transient Histogram computeMicros;

    public MicroBatchEmbedder(EmbedderFactory factory, BatchPolicy policy) {
        this.factory = factory;
        this.policy = policy;
    }

    @Override
    public void open() throws Exception {
        super.open();
        embedder = factory.create();
        int n = policy.maxBatch();
        buffer = new DecodedCrop[n];
        enqueuedNanos = new long[n];
        timestamps = new long[n];
        hasTimestamp = new boolean[n];
        count = 0;
        timerDeadline = -1;
        batchDeadline = -1;

        MetricGroup g = getMetricGroup();
        cellsEmbedded = g.counter("cellsEmbedded");
        batches = g.counter("batches");
        deadLetters = g.counter("embedDeadLetters");
        batchSize = g.histogram("batchSize", new DescriptiveStatisticsHistogram(1024));
        queueMicros = g.histogram("queueMicros", new DescriptiveStatisticsHistogram(1024));
        computeMicros = g.histogram("computeMicros", new DescriptiveStatisticsHistogram(1024));
        g.meter("cropsPerSecond", new MeterView(cellsEmbedded));
        String provider = embedder.provider();
        // Prometheus takes numbers only: the provider is a label on a constant 1.
        g.addGroup("provider", provider).gauge("executionProviderInfo", () -> 1);
        LOG.info(
                "embedder {} (dim {}) on {}, batch {} / {} ms",
                embedder.modelId(),
                embedder.dim(),
                provider,
                policy.maxBatch(),
                policy.maxDelay().toMillis());
    }

    @Override
    public void processElement(StreamRecord<DecodedCrop> element) throws Exception {
        DecodedCrop crop = element.getValue();
        if (crop.size != embedder.imageSize()) {
            // A wiring error, not bad input: the decoder must resize to what the model takes.
            throw new IllegalStateException(
                    "crop is " + crop.size + " px, model takes " + embedder.imageSize());
        }
        buffer[count] = crop;
        enqueuedNanos[count] = System.nanoTime();
        hasTimestamp[count] = element.hasTimestamp();
        timestamps[count] = element.getTimestamp();
        count++;
        if (count >= policy.maxBatch()) {
            flush();
        } else if (count == 1) {
            batchDeadline =
                    getProcessingTimeService().getCurrentProcessingTime()
                            + policy.maxDelay().toMillis();
            // A timer left by an earlier batch that filled up fires earlier; it re-arms then.
            if (timerDeadline < 0) {
                arm(batchDeadline);
            }
        }
    }

    private void arm(long deadline) {
        timerDeadline = deadline;
        getProcessingTimeService().registerTimer(deadline, this);
    }

    @Override
    public void onProcessingTime(long time) throws Exception {
        timerDeadline = -1;
        if (count == 0) {
            return;
        }
        if (time >= batchDeadline) {
            flush();
        } else {
            arm(batchDeadline);
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
            if (embedder != null) {
                embedder.close();
            }
        } finally {
            super.close();
        }
    }

    /** Number of crops waiting; visible for the harness tests. */
    int buffered() {
        return count;
    }

    private void flush() {
        if (count == 0) {
            return;
        }
        int n = count;
        long start = System.nanoTime();
        float[][] vectors;
        byte[][] pixels = new byte[n][];
        for (int i = 0; i < n; i++) {
            pixels[i] = buffer[i].rgb;
        }
        try {
            vectors = embedder.embed(pixels, n);
        } catch (Exception e) {
            LOG.warn("embedder failed on a batch of {}: {}", n, e.toString());
            for (int i = 0; i < n; i++) {
                dead(buffer[i].meta, DeadLetterReason.INFERENCE_FAILED, e.toString());
            }
            reset(n);
            return;
        }
        long end = System.nanoTime();
        int compute = (int) ((end - start) / 1000);
        batches.inc();
        batchSize.update(n);
        computeMicros.update(compute);
        String modelId = embedder.modelId();
        boolean[] finite = new boolean[n];
        int lastEmitted = -1;
        for (int i = 0; i < n; i++) {
            finite[i] = allFinite(vectors[i]);
            if (finite[i]) {
                lastEmitted = i;
            }
        }
        for (int i = 0; i < n; i++) {
            DecodedCrop crop = buffer[i];
            float[] v = vectors[i];
            if (!finite[i]) {
                dead(crop.meta, DeadLetterReason.NON_FINITE_EMBEDDING, "embedding has NaN or Inf");
                continue;
            }
            EmbeddedCell cell = new EmbeddedCell();
            cell.meta = crop.meta;
            cell.embeddingModelId = modelId;
            cell.embedding = v;
            cell.queueMicros = (int) ((start - enqueuedNanos[i]) / 1000);
            cell.computeMicros = compute;
            cell.batchSize = n;
            cell.moreInBatch = i < lastEmitted;
            queueMicros.update(cell.queueMicros);
            cellsEmbedded.inc();
            if (hasTimestamp[i]) {
                output.collect(new StreamRecord<>(cell, timestamps[i]));
            } else {
                output.collect(new StreamRecord<>(cell));
            }
        }
        reset(n);
    }

    private void reset(int n) {
        for (int i = 0; i < n; i++) {
            buffer[i] = null;
        }
        count = 0;
        batchDeadline = -1;
    }

    private void dead(CellMeta meta, DeadLetterReason reason, String detail) {
        deadLetters.inc();
        SourceRecord src =
                new SourceRecord(
                        meta.sourceTopic,
                        meta.sourcePartition,
                        meta.sourceOffset,
                        meta.ingestTime,
                        null,
                        null);
        DeadLetter dl =
                org.bloomstream.schemas.DeadLetters.of(
                        reason, detail, STAGE, src, meta.cellId, meta.specimenId, Instant.now());
        output.collect(DEAD, new StreamRecord<>(dl));
    }

    private static boolean allFinite(float[] v) {
        for (float x : v) {
            if (!Float.isFinite(x)) {
                return false;
            }
        }
        return true;
    }
}
