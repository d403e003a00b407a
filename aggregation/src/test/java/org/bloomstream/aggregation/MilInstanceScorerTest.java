package org.bloomstream.aggregation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.bloomstream.aggregation.mil.MilModel;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The mil-instance stage on Flink's operator harness: one model call per batch the typing stage
 * emits (the cells of a batch arrive within one call, and the flush is a mailbox action queued
 * behind it), the per-cell attention on every record, and nothing left buffered at a checkpoint
 * barrier or at end of input.
 */
class MilInstanceScorerTest {
    /** Sizes of the model's attention calls (static: the harness may copy the model). */
    static final List<Integer> CALLS = new CopyOnWriteArrayList<>();

    /** {@link MilTestCells.Model} that records how many cells each attention call scores. */
    static final class CountingModel extends MilTestCells.Model {
        private static final long serialVersionUID = 1L;

        @Override
        public Runtime open() {
            Runtime inner = super.open();
            return new Runtime() {
                @Override
                public float[] attention(float[] embedding) {
                    CALLS.add(1);
                    return inner.attention(embedding);
                }

                @Override
                public float[][] attention(float[][] embeddings, int n) {
                    CALLS.add(n);
                    float[][] a = new float[n][];
                    for (int i = 0; i < n; i++) {
                        a[i] = inner.attention(embeddings[i]);
                    }
                    return a;
                }

                @Override
                public double[] logits(double[][] pooled) {
                    return inner.logits(pooled);
                }

                @Override
                public void close() {}
            };
        }
    }

    private OneInputStreamOperatorTestHarness<ClassifiedCell, ClassifiedCell> h;

    @BeforeEach
    void open() throws Exception {
        CALLS.clear();
        h = new OneInputStreamOperatorTestHarness<>(new MilInstanceScorer(new CountingModel()));
        h.open();
    }

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private MilInstanceScorer op() {
        return (MilInstanceScorer) h.getOperator();
    }

    /** Runs the mailbox actions queued so far, as the task's mailbox loop would. */
    private int runMails() throws Exception {
        TaskMailbox mailbox = h.getTaskMailbox();
        int ran = 0;
        Optional<Mail> m;
        while ((m = mailbox.tryTake(TaskMailbox.MIN_PRIORITY)).isPresent()) {
            m.get().run();
            ran++;
        }
        return ran;
    }

    private List<String> ids() {
        List<String> out = new ArrayList<>();
        for (ClassifiedCell c : h.extractOutputValues()) {
            out.add(c.getCellId());
        }
        return out;
    }

    @Test
    void aBatchEmittedInOneCallIsScoredInOneModelCall() throws Exception {
        String[] types = {"a-cell", "normal", "b-cell", "a-cell", "normal"};
        for (int i = 0; i < types.length; i++) {
            h.processElement(new StreamRecord<>(MilTestCells.cell("S1", i, types[i]), 100 + i));
        }
        assertThat(h.extractOutputValues()).isEmpty();
        assertThat(op().buffered()).isEqualTo(5);

        assertThat(runMails()).isEqualTo(1);

        assertThat(CALLS).containsExactly(5);
        assertThat(ids()).containsExactly("S1-c0", "S1-c1", "S1-c2", "S1-c3", "S1-c4");
        assertThat(op().buffered()).isZero();
        // The attention of each cell, on its own record, as a per-cell call gives it.
        MilModel.Runtime reference = new MilTestCells.Model().open();
        for (ClassifiedCell c : h.extractOutputValues()) {
            float[] expected = reference.attention(SpecimenMilFunction.toArray(c.getEmbedding()));
            assertThat(SpecimenMilFunction.toArray(c.getMilAttention())).containsExactly(expected);
        }
        // Timestamps travel with their cells.
        List<Long> stamps = new ArrayList<>();
        for (Object o : h.getOutput()) {
            stamps.add(((StreamRecord<?>) o).getTimestamp());
        }
        assertThat(stamps).containsExactly(100L, 101L, 102L, 103L, 104L);
    }

    @Test
    void twoBatchesMakeTwoCalls() throws Exception {
        h.processElement(new StreamRecord<>(MilTestCells.cell("S1", 0, "normal")));
        h.processElement(new StreamRecord<>(MilTestCells.cell("S1", 1, "normal")));
        runMails();
        h.processElement(new StreamRecord<>(MilTestCells.cell("S2", 0, "a-cell")));
        runMails();

        assertThat(CALLS).containsExactly(2, 1);
        assertThat(ids()).containsExactly("S1-c0", "S1-c1", "S2-c0");
    }

    @Test
    void theCheckpointBarrierFindsNothingBufferedAndTheQueuedFlushAddsNothing() throws Exception {
        for (int i = 0; i < 3; i++) {
            h.processElement(new StreamRecord<>(MilTestCells.cell("S1", i, "normal")));
        }
        h.prepareSnapshotPreBarrier(1L);

        assertThat(ids()).containsExactly("S1-c0", "S1-c1", "S1-c2");
        assertThat(op().buffered()).isZero();
        runMails();
        assertThat(ids()).containsExactly("S1-c0", "S1-c1", "S1-c2");
        assertThat(CALLS).containsExactly(3);
    }

    @Test
    void endOfInputFlushes() throws Exception {
        h.processElement(new StreamRecord<>(MilTestCells.cell("S1", 0, "b-cell")));
        op().finish();

        assertThat(ids()).containsExactly("S1-c0");
        assertThat(h.extractOutputValues().get(0).getMilAttention()).hasSize(3);
    }

    @Test
    void aCellWithoutEmbeddingIsAWiringError() {
        ClassifiedCell c = MilTestCells.cell("S1", 0, "normal");
        c.setEmbedding(null);

        assertThatThrownBy(() -> h.processElement(new StreamRecord<>(c)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("without embedding");
    }
}
