package org.bloomstream.inference.batch;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.api.common.operators.MailboxExecutor;
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
 * needs nothing from it. The price is that a checkpoint waits for the model calls in flight.
 *
 * <p>Batches in flight ({@link BatchPolicy#maxInFlight()} = K): with K = 1 a flush packs and runs
 * the batch on the operator's thread and emits it before returning. With K >= 2 a flush packs the
 * batch on the operator's thread ({@link Embedder#pack}) and hands it to a worker ({@link
 * Embedder#run}), so the operator goes on taking and packing crops while the model computes; a
 * finished batch is emitted by the operator's own thread (a mailbox action), always in flush order.
 * When K batches are unfinished the next flush waits for the oldest. {@link
 * #prepareSnapshotPreBarrier} and {@link #finish} wait for every batch in flight and emit it, so
 * the barrier still follows every cell that came before it: a crop is either emitted before the
 * checkpoint or replayed from the source after a restore, never both. Workers: K threads when the
 * embedder allows concurrent runs ({@link Embedder#concurrentRuns()}: on a GPU one batch's copy
 * then overlaps another's compute), else one.
 *
 * <p>With an embedder that resizes in its graph ({@link Embedder#resizesInGraph()}) crops arrive at
 * their decoded size; a flush groups them by source size, one model call per size (the matrices of
 * the resize depend on it). Crops of many different sizes therefore make small batches.
 *
 * <p>Metrics separate the three things a dynamic batcher trades (Triton reports the same split):
 * {@code batchSize}, {@code queueMicros} (time a crop waited in the buffer) and {@code
 * computeMicros} (model time per batch); plus {@code cropsPerSecond}, {@code inFlightBatches}
 * (flushed, not yet emitted), {@code acceleratorBusyFraction} (time with at least one model call
 * running over wall time, since the previous read of the gauge; the model's device is what runs
 * then) and the execution provider actually in use ({@code executionProviderInfo}, labelled by
 * provider).
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

    /** Flushed batches not yet emitted, oldest first; touched only by the operator's thread. */
    private transient ArrayDeque<InFlight> inFlight;

    private transient ExecutorService workers;
    private transient MailboxExecutor mailbox;
    private transient BusyClock busy;

    /** True while the operator's thread waits for a batch in flight (for tests). */
    private transient volatile boolean waiting;

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
        inFlight = new ArrayDeque<>();
        busy = new BusyClock();
        int k = policy.maxInFlight();
        if (k > 1) {
            int threads = embedder.concurrentRuns() ? k : 1;
            String name = "embed-" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            AtomicInteger seq = new AtomicInteger();
            workers =
                    Executors.newFixedThreadPool(
                            threads,
                            r -> {
                                Thread t = new Thread(r, name + "-" + seq.incrementAndGet());
                                t.setDaemon(true);
                                return t;
                            });
            mailbox =
                    getContainingTask()
                            .getMailboxExecutorFactory()
                            .createExecutor(getOperatorConfig().getChainIndex());
        }

        MetricGroup g = getMetricGroup();
        cellsEmbedded = g.counter("cellsEmbedded");
        batches = g.counter("batches");
        deadLetters = g.counter("embedDeadLetters");
        batchSize = g.histogram("batchSize", new DescriptiveStatisticsHistogram(1024));
        queueMicros = g.histogram("queueMicros", new DescriptiveStatisticsHistogram(1024));
        computeMicros = g.histogram("computeMicros", new DescriptiveStatisticsHistogram(1024));
        g.meter("cropsPerSecond", new MeterView(cellsEmbedded));
        g.gauge("inFlightBatches", this::inFlight);
        g.gauge("acceleratorBusyFraction", busy::fractionSinceLastRead);
        String provider = embedder.provider();
        // Prometheus takes numbers only: the provider is a label on a constant 1.
        g.addGroup("provider", provider).gauge("executionProviderInfo", () -> 1);
        LOG.info(
                "embedder {} (dim {}) on {}, batch {} / {} ms, {} in flight{}",
                embedder.modelId(),
                embedder.dim(),
                provider,
                policy.maxBatch(),
                policy.maxDelay().toMillis(),
                k,
                embedder.resizesInGraph() ? ", resize in the graph" : "");
    }

    @Override
    public void processElement(StreamRecord<DecodedCrop> element) throws Exception {
        DecodedCrop crop = element.getValue();
        if (crop.size != embedder.imageSize() && !embedder.resizesInGraph()) {
            // A wiring error, not bad input: the decoder must resize to what the model takes.
            throw new IllegalStateException(
                    "crop is "
                            + (crop.size == 0 ? crop.width + "x" + crop.height : crop.size)
                            + " px, model takes "
                            + embedder.imageSize());
        }
        emitFinished();
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
        emitFinished();
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
        awaitAll();
    }

    @Override
    public void finish() throws Exception {
        flush();
        awaitAll();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            if (workers != null) {
                // Batches still in flight here belong to a failed or cancelled task: they were
                // never emitted, so the source replays them after the restore.
                workers.shutdownNow();
                workers.awaitTermination(30, TimeUnit.SECONDS);
            }
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

    /** Batches flushed and not yet emitted. */
    int inFlight() {
        return inFlight == null ? 0 : inFlight.size();
    }

    /** True while the operator's thread is blocked on a batch in flight; for tests. */
    boolean waitingForABatch() {
        return waiting;
    }

    /** Flushes the buffer: one batch per source size (one in all, unless resizing in the graph). */
    private void flush() throws Exception {
        if (count == 0) {
            return;
        }
        int n = count;
        DecodedCrop[] crops = Arrays.copyOf(buffer, n);
        long[] enq = Arrays.copyOf(enqueuedNanos, n);
        long[] ts = Arrays.copyOf(timestamps, n);
        boolean[] hasTs = Arrays.copyOf(hasTimestamp, n);
        reset(n);
        if (!embedder.resizesInGraph() || sameSize(crops)) {
            dispatch(new InFlight(crops, enq, ts, hasTs));
            return;
        }
        // Group by source size, in order of first appearance.
        LinkedHashMap<Long, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            long key = ((long) crops[i].width << 32) | crops[i].height;
            groups.computeIfAbsent(key, x -> new ArrayList<>()).add(i);
        }
        for (List<Integer> idx : groups.values()) {
            int m = idx.size();
            DecodedCrop[] c = new DecodedCrop[m];
            long[] e = new long[m];
            long[] t = new long[m];
            boolean[] h = new boolean[m];
            for (int j = 0; j < m; j++) {
                int i = idx.get(j);
                c[j] = crops[i];
                e[j] = enq[i];
                t[j] = ts[i];
                h[j] = hasTs[i];
            }
            dispatch(new InFlight(c, e, t, h));
        }
    }

    private static boolean sameSize(DecodedCrop[] crops) {
        for (DecodedCrop c : crops) {
            if (c.width != crops[0].width || c.height != crops[0].height) {
                return false;
            }
        }
        return true;
    }

    /** Packs one batch and runs it here (K = 1) or on a worker (K >= 2). */
    private void dispatch(InFlight b) throws Exception {
        int n = b.crops.length;
        b.packStart = System.nanoTime();
        Embedder.Packed packed;
        try {
            byte[][] pixels = new byte[n][];
            for (int i = 0; i < n; i++) {
                pixels[i] = b.crops[i].rgb;
            }
            packed = embedder.pack(pixels, n, b.crops[0].width, b.crops[0].height);
        } catch (Exception e) {
            b.error = e;
            b.done = true;
            inFlight.add(b);
            emitFinished();
            return;
        }
        if (workers == null) {
            run(b, packed);
            inFlight.add(b);
            emitFinished();
            return;
        }
        while (inFlight.size() >= policy.maxInFlight()) {
            awaitOldest();
        }
        inFlight.add(b);
        workers.execute(
                () -> {
                    run(b, packed);
                    try {
                        mailbox.execute(this::emitFinished, "emit embedded batch");
                    } catch (RuntimeException closed) {
                        // The task is closing: nothing is emitted any more (see close()).
                    }
                });
    }

    /** Runs a packed batch; on any thread. Publishes its result through {@code b.done}. */
    private void run(InFlight b, Embedder.Packed packed) {
        busy.start();
        long start = System.nanoTime();
        try {
            b.vectors = embedder.run(packed);
        } catch (Throwable e) {
            b.error = e;
        } finally {
            b.computeNanos = System.nanoTime() - start;
            busy.stop();
            synchronized (b) {
                b.done = true;
                b.notifyAll();
            }
        }
    }

    /** Emits finished batches from the head of the queue, in flush order; never blocks. */
    private void emitFinished() {
        while (!inFlight.isEmpty() && inFlight.peek().isDone()) {
            emit(inFlight.poll());
        }
    }

    private void awaitOldest() throws InterruptedException {
        InFlight head = inFlight.peek();
        waiting = true;
        try {
            synchronized (head) {
                while (!head.done) {
                    head.wait();
                }
            }
        } finally {
            waiting = false;
        }
        emitFinished();
    }

    private void awaitAll() throws InterruptedException {
        while (!inFlight.isEmpty()) {
            awaitOldest();
        }
    }

    private void emit(InFlight b) {
        int n = b.crops.length;
        if (b.error != null) {
            LOG.warn("embedder failed on a batch of {}: {}", n, b.error.toString());
            for (DecodedCrop crop : b.crops) {
                dead(crop.meta, DeadLetterReason.INFERENCE_FAILED, b.error.toString());
            }
            return;
        }
        float[][] vectors = b.vectors;
        int compute = (int) (b.computeNanos / 1000);
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
            DecodedCrop crop = b.crops[i];
            float[] v = vectors[i];
            if (!finite[i]) {
                dead(crop.meta, DeadLetterReason.NON_FINITE_EMBEDDING, "embedding has NaN or Inf");
                continue;
            }
            EmbeddedCell cell = new EmbeddedCell();
            cell.meta = crop.meta;
            cell.embeddingModelId = modelId;
            cell.embedding = v;
            cell.queueMicros = (int) ((b.packStart - b.enqueuedNanos[i]) / 1000);
            cell.computeMicros = compute;
            cell.batchSize = n;
            cell.moreInBatch = i < lastEmitted;
            queueMicros.update(cell.queueMicros);
            cellsEmbedded.inc();
            if (b.hasTimestamp[i]) {
                output.collect(new StreamRecord<>(cell, b.timestamps[i]));
            } else {
                output.collect(new StreamRecord<>(cell));
            }
        }
    }

    private void reset(int n) {
        for (int i = 0; i < n; i++) {
            buffer[i] = null;
        }
        count = 0;
        batchDeadline = -1;
    }

    /** One flushed batch: its crops, then (written by the worker) its result. */
    private static final class InFlight {
        final DecodedCrop[] crops;
        final long[] enqueuedNanos;
        final long[] timestamps;
        final boolean[] hasTimestamp;
        long packStart;
        long computeNanos;
        float[][] vectors;
        Throwable error;
        boolean done;

        InFlight(DecodedCrop[] crops, long[] enq, long[] ts, boolean[] hasTs) {
            this.crops = crops;
            this.enqueuedNanos = enq;
            this.timestamps = ts;
            this.hasTimestamp = hasTs;
        }

        synchronized boolean isDone() {
            return done;
        }
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
