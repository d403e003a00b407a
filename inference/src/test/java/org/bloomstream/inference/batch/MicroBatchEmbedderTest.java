package org.bloomstream.inference.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.bloomstream.inference.model.Embedder;
import org.bloomstream.inference.types.CellMeta;
import org.bloomstream.inference.types.DecodedCrop;
import org.bloomstream.inference.types.EmbeddedCell;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Harness tests: the test drives processing time and checkpoints explicitly. */
class MicroBatchEmbedderTest {
    static final int SIZE = 4;

    /**
     * Embeds crop i as [first byte, batch size]; a crop whose first byte is 99 yields NaN and one
     * whose first byte is 66 makes the whole batch fail.
     */
    static final class FakeEmbedder implements Embedder {
        @Override
        public String modelId() {
            return "fake";
        }

        @Override
        public int dim() {
            return 2;
        }

        @Override
        public int imageSize() {
            return SIZE;
        }

        @Override
        public float[][] embed(byte[][] crops, int count) {
            float[][] out = new float[count][];
            for (int i = 0; i < count; i++) {
                if (crops[i][0] == 66) {
                    throw new IllegalStateException("model exploded");
                }
                out[i] = new float[] {crops[i][0] == 99 ? Float.NaN : crops[i][0], count};
            }
            return out;
        }

        @Override
        public String provider() {
            return "fake";
        }

        @Override
        public void close() {}
    }

    private OneInputStreamOperatorTestHarness<DecodedCrop, EmbeddedCell> h;

    private OneInputStreamOperatorTestHarness<DecodedCrop, EmbeddedCell> open(
            int batch, long delayMs) throws Exception {
        h =
                new OneInputStreamOperatorTestHarness<>(
                        new MicroBatchEmbedder(
                                FakeEmbedder::new,
                                new BatchPolicy(batch, Duration.ofMillis(delayMs))));
        h.setProcessingTime(0);
        h.open();
        return h;
    }

    @AfterEach
    void close() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    static DecodedCrop crop(int id) {
        CellMeta m = new CellMeta();
        m.cellId = "c" + id;
        m.specimenId = "S";
        m.sourceTopic = "cells.accepted";
        m.sourceOffset = id;
        byte[] rgb = new byte[SIZE * SIZE * 3];
        rgb[0] = (byte) id;
        return new DecodedCrop(m, SIZE, rgb);
    }

    private List<String> ids() {
        return h.extractOutputValues().stream().map(c -> c.meta.cellId).toList();
    }

    private List<DeadLetter> dead() {
        var q = h.getSideOutput(MicroBatchEmbedder.DEAD);
        return q == null ? List.of() : q.stream().map(StreamRecord::getValue).toList();
    }

    @Test
    void flushesWhenTheBatchIsFull() throws Exception {
        open(4, 1000);
        for (int i = 1; i <= 3; i++) {
            h.processElement(new StreamRecord<>(crop(i), 100L + i));
        }
        assertThat(h.extractOutputValues()).isEmpty();
        h.processElement(new StreamRecord<>(crop(4), 104L));
        List<EmbeddedCell> out = h.extractOutputValues();
        assertThat(out).extracting(c -> c.meta.cellId).containsExactly("c1", "c2", "c3", "c4");
        assertThat(out).allSatisfy(c -> assertThat(c.batchSize).isEqualTo(4));
        assertThat(out.get(2).embedding).containsExactly(3f, 4f);
        assertThat(out.get(0).embeddingModelId).isEqualTo("fake");
        // Record timestamps survive the batch.
        assertThat(h.getOutput().stream().map(o -> ((StreamRecord<?>) o).getTimestamp()).toList())
                .containsExactly(101L, 102L, 103L, 104L);
    }

    @Test
    void eachCellSaysWhetherMoreOfItsBatchFollow() throws Exception {
        open(4, 1000);
        // The last crop of the batch is dead-lettered (NaN): the flag must end on the last one
        // actually emitted, or the cell-type operator would wait for a cell that never comes.
        for (int id : new int[] {1, 2, 3, 99}) {
            h.processElement(new StreamRecord<>(crop(id)));
        }
        assertThat(h.extractOutputValues())
                .extracting(c -> c.moreInBatch)
                .containsExactly(true, true, false);
        h.processElement(new StreamRecord<>(crop(5)));
        h.setProcessingTime(1000);
        assertThat(h.extractOutputValues().get(3).moreInBatch).isFalse();
    }

    @Test
    void flushesAPartialBatchWhenTheDelayRunsOut() throws Exception {
        open(16, 50);
        h.processElement(new StreamRecord<>(crop(1)));
        h.setProcessingTime(20);
        h.processElement(new StreamRecord<>(crop(2)));
        h.setProcessingTime(49);
        assertThat(h.extractOutputValues()).isEmpty();
        // The delay counts from the first crop of the batch, not the last.
        h.setProcessingTime(50);
        assertThat(ids()).containsExactly("c1", "c2");
        assertThat(h.extractOutputValues().get(0).batchSize).isEqualTo(2);
    }

    @Test
    void aBatchThatFilledUpEarlyLeavesNoStaleFlush() throws Exception {
        open(2, 50);
        h.processElement(new StreamRecord<>(crop(1)));
        h.processElement(new StreamRecord<>(crop(2))); // full: flushed now
        h.setProcessingTime(10);
        h.processElement(new StreamRecord<>(crop(3)));
        h.setProcessingTime(50); // the first batch's timer: must not flush c3 early
        assertThat(ids()).containsExactly("c1", "c2");
        h.setProcessingTime(60);
        assertThat(ids()).containsExactly("c1", "c2", "c3");
    }

    @Test
    void aCheckpointNeverHoldsAnUnembeddedCrop() throws Exception {
        open(16, 60_000);
        for (int i = 1; i <= 5; i++) {
            h.processElement(new StreamRecord<>(crop(i)));
        }
        assertThat(h.extractOutputValues()).isEmpty();
        h.prepareSnapshotPreBarrier(1L);
        assertThat(ids()).containsExactly("c1", "c2", "c3", "c4", "c5");
        // Nothing is buffered, so the operator's snapshot carries no crops.
        assertThat(((MicroBatchEmbedder) h.getOperator()).buffered()).isZero();
    }

    @Test
    void nonFiniteEmbeddingsAreDeadLetteredAndTheRestGoOn() throws Exception {
        open(3, 1000);
        h.processElement(new StreamRecord<>(crop(1)));
        h.processElement(new StreamRecord<>(crop(99)));
        h.processElement(new StreamRecord<>(crop(3)));
        assertThat(ids()).containsExactly("c1", "c3");
        assertThat(dead())
                .singleElement()
                .satisfies(
                        d -> {
                            assertThat(d.getReason())
                                    .isEqualTo(DeadLetterReason.NON_FINITE_EMBEDDING);
                            assertThat(d.getCellId()).isEqualTo("c99");
                            assertThat(d.getStage()).isEqualTo("embed");
                            assertThat(d.getSourceOffset()).isEqualTo(99L);
                        });
    }

    @Test
    void aBatchTheModelFailsOnIsDeadLetteredNotFatal() throws Exception {
        open(2, 1000);
        h.processElement(new StreamRecord<>(crop(1)));
        h.processElement(new StreamRecord<>(crop(66)));
        assertThat(h.extractOutputValues()).isEmpty();
        assertThat(dead())
                .extracting(DeadLetter::getReason)
                .containsExactly(
                        DeadLetterReason.INFERENCE_FAILED, DeadLetterReason.INFERENCE_FAILED);
        assertThat(dead().get(0).getDetail()).contains("model exploded");
        // The operator keeps working.
        h.processElement(new StreamRecord<>(crop(5)));
        h.processElement(new StreamRecord<>(crop(6)));
        assertThat(ids()).containsExactly("c5", "c6");
    }

    @Test
    void queueTimeIsMeasuredPerCrop() throws Exception {
        open(2, 1000);
        h.processElement(new StreamRecord<>(crop(1)));
        Thread.sleep(20); // real time: queue time is wall-clock, as in production
        h.processElement(new StreamRecord<>(crop(2)));
        List<EmbeddedCell> out = h.extractOutputValues();
        assertThat(out.get(0).queueMicros).isGreaterThanOrEqualTo(20_000);
        assertThat(out.get(1).queueMicros).isLessThan(out.get(0).queueMicros);
    }

    @Test
    void noCropIsLostOrDuplicatedAcrossACheckpointAndRestore() throws Exception {
        open(16, 60_000);
        for (int i = 1; i <= 5; i++) {
            h.processElement(new StreamRecord<>(crop(i)));
        }
        // What the task does at a checkpoint: the barrier flush, then the snapshot.
        h.prepareSnapshotPreBarrier(7L);
        OperatorSubtaskState snapshot = h.snapshot(7L, 1_000L);
        List<String> before = ids();
        h.close();

        // A restore from that checkpoint: the source replays only what came after it.
        h =
                new OneInputStreamOperatorTestHarness<>(
                        new MicroBatchEmbedder(
                                FakeEmbedder::new, new BatchPolicy(16, Duration.ofMillis(50))));
        h.initializeState(snapshot);
        h.setProcessingTime(0);
        h.open();
        for (int i = 6; i <= 8; i++) {
            h.processElement(new StreamRecord<>(crop(i)));
        }
        h.setProcessingTime(50);
        List<String> after = ids();

        assertThat(before).containsExactly("c1", "c2", "c3", "c4", "c5");
        assertThat(after).containsExactly("c6", "c7", "c8");
    }

    /** Runs block until the test opens the gate; resizes in its graph (any crop size goes). */
    static final class GatedEmbedder implements Embedder {
        static volatile CountDownLatch gate = new CountDownLatch(0);
        static final AtomicInteger runs = new AtomicInteger();

        @Override
        public String modelId() {
            return "gated";
        }

        @Override
        public int dim() {
            return 2;
        }

        @Override
        public int imageSize() {
            return SIZE;
        }

        @Override
        public float[][] embed(byte[][] crops, int count) throws InterruptedException {
            runs.incrementAndGet();
            gate.await();
            float[][] out = new float[count][];
            for (int i = 0; i < count; i++) {
                out[i] = new float[] {crops[i][0], count};
            }
            return out;
        }

        @Override
        public Packed pack(byte[][] rgb, int count, int width, int height) {
            return new Crops(rgb, count);
        }

        @Override
        public boolean resizesInGraph() {
            return true;
        }

        @Override
        public boolean concurrentRuns() {
            return true;
        }

        @Override
        public String provider() {
            return "gated";
        }

        @Override
        public void close() {}
    }

    private OneInputStreamOperatorTestHarness<DecodedCrop, EmbeddedCell> openGated(
            int batch, int inFlight) throws Exception {
        h =
                new OneInputStreamOperatorTestHarness<>(
                        new MicroBatchEmbedder(
                                GatedEmbedder::new,
                                new BatchPolicy(batch, Duration.ofMillis(60_000), inFlight)));
        h.setProcessingTime(0);
        h.open();
        return h;
    }

    private MicroBatchEmbedder op() {
        return (MicroBatchEmbedder) h.getOperator();
    }

    /** Opens the gate once the operator's thread blocks on a batch in flight (bounded poll). */
    private static Thread openGateWhenWaiting(MicroBatchEmbedder op, CountDownLatch gate) {
        Thread t =
                new Thread(
                        () -> {
                            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                            while (!op.waitingForABatch() && System.nanoTime() < deadline) {
                                LockSupport.parkNanos(100_000);
                            }
                            gate.countDown();
                        });
        t.start();
        return t;
    }

    @Test
    void aCheckpointWithBatchesInFlightWaitsForThemAndARestoreLosesOrDoublesNothing()
            throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        GatedEmbedder.gate = gate;
        openGated(2, 3);
        for (int i = 1; i <= 5; i++) {
            h.processElement(new StreamRecord<>(crop(i)));
        }
        // Two batches in flight (their model calls blocked), one crop buffered, nothing out.
        assertThat(op().inFlight()).isEqualTo(2);
        assertThat(op().buffered()).isEqualTo(1);
        assertThat(h.extractOutputValues()).isEmpty();

        Thread opener = openGateWhenWaiting(op(), gate);
        h.prepareSnapshotPreBarrier(7L);
        opener.join();
        // The barrier follows every cell that came before it, in order.
        assertThat(ids()).containsExactly("c1", "c2", "c3", "c4", "c5");
        assertThat(op().inFlight()).isZero();
        OperatorSubtaskState snapshot = h.snapshot(7L, 1_000L);
        List<String> before = ids();

        // After the checkpoint: two more batches go in flight, then the task fails.
        GatedEmbedder.gate = new CountDownLatch(1);
        for (int i = 6; i <= 9; i++) {
            h.processElement(new StreamRecord<>(crop(i)));
        }
        assertThat(op().inFlight()).isEqualTo(2);
        List<String> lost = ids().subList(before.size(), ids().size());
        assertThat(lost).isEmpty();
        GatedEmbedder.gate.countDown(); // let the workers end; close() discards their results
        h.close();

        // The restore: the source replays what came after the checkpoint (c6..c9).
        GatedEmbedder.gate = new CountDownLatch(0);
        h =
                new OneInputStreamOperatorTestHarness<>(
                        new MicroBatchEmbedder(
                                GatedEmbedder::new,
                                new BatchPolicy(2, Duration.ofMillis(60_000), 3)));
        h.initializeState(snapshot);
        h.setProcessingTime(0);
        h.open();
        for (int i = 6; i <= 9; i++) {
            h.processElement(new StreamRecord<>(crop(i)));
        }
        h.getOperator().finish(); // end of input
        List<String> after = ids();

        List<String> all = new ArrayList<>(before);
        all.addAll(after);
        assertThat(all)
                .containsExactly("c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9")
                .doesNotHaveDuplicates();
    }

    @Test
    void aFlushWaitsForTheOldestBatchWhenKAreInFlight() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        GatedEmbedder.gate = gate;
        openGated(1, 2);
        h.processElement(new StreamRecord<>(crop(1)));
        h.processElement(new StreamRecord<>(crop(2)));
        assertThat(op().inFlight()).isEqualTo(2);
        // A third batch would exceed K = 2: the operator's thread waits for the oldest.
        Thread opener = openGateWhenWaiting(op(), gate);
        h.processElement(new StreamRecord<>(crop(3)));
        opener.join();
        assertThat(op().inFlight()).isLessThanOrEqualTo(2);
        assertThat(ids()).startsWith("c1");
        h.prepareSnapshotPreBarrier(1L);
        assertThat(ids()).containsExactly("c1", "c2", "c3");
    }

    @Test
    void withResizeInTheGraphAFlushMakesOneBatchPerSourceSize() throws Exception {
        GatedEmbedder.gate = new CountDownLatch(0);
        openGated(4, 1);
        int[][] sizes = {{30, 20}, {50, 50}, {30, 20}, {50, 50}};
        for (int i = 0; i < sizes.length; i++) {
            CellMeta m = new CellMeta();
            m.cellId = "c" + (i + 1);
            byte[] rgb = new byte[sizes[i][0] * sizes[i][1] * 3];
            rgb[0] = (byte) (i + 1);
            h.processElement(new StreamRecord<>(DecodedCrop.raw(m, sizes[i][0], sizes[i][1], rgb)));
        }
        List<EmbeddedCell> out = h.extractOutputValues();
        assertThat(out).extracting(c -> c.meta.cellId).containsExactly("c1", "c3", "c2", "c4");
        assertThat(out).allSatisfy(c -> assertThat(c.batchSize).isEqualTo(2));
        assertThat(out).extracting(c -> c.moreInBatch).containsExactly(true, false, true, false);
    }

    @Test
    void aModelThatDoesNotResizeRejectsACropAtItsDecodedSize() throws Exception {
        open(4, 1000);
        DecodedCrop raw = DecodedCrop.raw(new CellMeta(), 30, 20, new byte[30 * 20 * 3]);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> h.processElement(new StreamRecord<>(raw)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("30x20");
    }
}
