package org.bloomstream.aggregation;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.bloomstream.aggregation.mil.MilModel;
import org.bloomstream.schemas.avro.ClassifiedCell;

/**
 * Runs the MIL instance part on each cell and puts its attention logits on the classified-cell
 * record: consumers of {@code cells.classified} see how much each cell counts towards each subtype,
 * and the keyed MIL stage only pools and runs the bag head.
 *
 * <p>One model call per micro-batch, not per cell. The typing stage upstream emits a batch's cells
 * back to back from one call, so the first cell of a batch queues a mailbox action that runs when
 * that call has returned, and by then the whole batch is buffered. One ONNX Runtime call per cell
 * cost about 2% of the decode thread's CPU in the plumbing benchmark, mostly the call itself
 * (BENCHMARKS.md, "Sixth pass"). The buffer is also emptied before every checkpoint barrier (after
 * the operators before it in the chain have flushed theirs) and at end of input, so the operator
 * keeps no state and exactly-once needs nothing more.
 */
public class MilInstanceScorer extends AbstractStreamOperator<ClassifiedCell>
        implements OneInputStreamOperator<ClassifiedCell, ClassifiedCell> {
    private static final long serialVersionUID = 2L;

    /** The most cells scored in one call (the typing stage emits at most this many at once). */
    public static final int MAX_BUFFER = 1024;

    private final MilModel model;
    private transient MilModel.Runtime runtime;
    private transient MailboxExecutor mailbox;
    private transient List<ClassifiedCell> cells;
    private transient List<Long> timestamps; // null entries: no timestamp
    private transient boolean flushQueued;

    public MilInstanceScorer(MilModel model) {
        this.model = model;
    }

    @Override
    public void open() throws Exception {
        super.open();
        runtime = model.open();
        cells = new ArrayList<>();
        timestamps = new ArrayList<>();
        mailbox =
                getContainingTask()
                        .getMailboxExecutorFactory()
                        .createExecutor(getOperatorConfig().getChainIndex());
    }

    @Override
    public void processElement(StreamRecord<ClassifiedCell> element) throws Exception {
        ClassifiedCell cell = element.getValue();
        if (cell.getEmbedding() == null) {
            throw new IllegalStateException("cell without embedding reached the MIL scorer");
        }
        cells.add(cell);
        timestamps.add(element.hasTimestamp() ? element.getTimestamp() : null);
        if (cells.size() >= MAX_BUFFER) {
            flush();
        } else if (!flushQueued) {
            flushQueued = true;
            mailbox.execute(this::queuedFlush, "score MIL attention of a batch");
        }
    }

    private void queuedFlush() {
        flushQueued = false;
        flush();
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
            if (runtime != null) {
                runtime.close();
            }
        } finally {
            super.close();
        }
    }

    /** Cells waiting for their batch's model call; visible for the harness tests. */
    int buffered() {
        return cells.size();
    }

    private void flush() {
        int n = cells.size();
        if (n == 0) {
            return;
        }
        // Taken out of the buffer first: if the model throws, the job fails on this batch once.
        List<ClassifiedCell> batch = new ArrayList<>(cells);
        List<Long> stamps = new ArrayList<>(timestamps);
        cells.clear();
        timestamps.clear();
        float[][] x = new float[n][];
        for (int i = 0; i < n; i++) {
            x[i] = SpecimenMilFunction.toArray(batch.get(i).getEmbedding());
        }
        float[][] a = runtime.attention(x, n);
        for (int i = 0; i < n; i++) {
            ClassifiedCell cell = batch.get(i);
            List<Float> attention = new ArrayList<>(a[i].length);
            for (float v : a[i]) {
                attention.add(v);
            }
            cell.setMilAttention(attention);
            Long ts = stamps.get(i);
            output.collect(ts != null ? new StreamRecord<>(cell, ts) : new StreamRecord<>(cell));
        }
    }
}
