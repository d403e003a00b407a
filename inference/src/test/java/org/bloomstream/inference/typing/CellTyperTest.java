package org.bloomstream.inference.typing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.metrics.util.InterceptingTaskMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.types.CellMeta;
import org.bloomstream.inference.types.EmbeddedCell;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.LabelProbability;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The typing operator with a kNN head read from a file, driven by the harness. */
class CellTyperTest {
    private OneInputStreamOperatorTestHarness<EmbeddedCell, ClassifiedCell> h;
    private final InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
    private final List<String> fitLabels = new ArrayList<>();
    private final List<float[]> fitRows = new ArrayList<>();

    private OneInputStreamOperatorTestHarness<EmbeddedCell, ClassifiedCell> open(
            Path dir, UnknownPolicy override) throws Exception {
        CentroidHeadTest.sample(new Random(1), 40, fitLabels, fitRows);
        KnnHead head =
                KnnHead.fit(
                        "knn-test",
                        "m",
                        null,
                        fitLabels,
                        fitRows.toArray(new float[0][]),
                        5,
                        0.5,
                        0.01,
                        Map.of());
        Path file = dir.resolve("head.json");
        head.write(file);
        MockEnvironment env =
                new MockEnvironmentBuilder()
                        .setMetricGroup(
                                new InterceptingTaskMetricGroup() {
                                    @Override
                                    public InternalOperatorMetricGroup getOrAddOperator(
                                            OperatorID id, String name, Map<String, String> vars) {
                                        return metrics;
                                    }
                                })
                        .build();
        h =
                new OneInputStreamOperatorTestHarness<>(
                        new CellTyper(HeadLoader.file(file), override, ExecutionConfig.cpu(1)),
                        env);
        h.open();
        return h;
    }

    @AfterEach
    void close() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    static EmbeddedCell cell(String id, float[] embedding, String model, boolean more) {
        CellMeta m = new CellMeta();
        m.cellId = id;
        m.specimenId = "S";
        m.scanId = "scan";
        m.scannerId = "scanner";
        m.alphaPolicy = "white";
        EmbeddedCell c = new EmbeddedCell();
        c.meta = m;
        c.embeddingModelId = model;
        c.embedding = embedding;
        c.batchSize = 3;
        c.moreInBatch = more;
        return c;
    }

    private long counter(String name) {
        return ((Counter) metrics.get(name)).getCount();
    }

    @Test
    void typesAWholeMicroBatchAtOnceAndKeepsTimestamps(@TempDir Path dir) throws Exception {
        open(dir, null);
        h.processElement(new StreamRecord<>(cell("c1", fitRows.get(0), "m", true), 11L));
        h.processElement(new StreamRecord<>(cell("c2", fitRows.get(50), "m", true), 12L));
        assertThat(h.extractOutputValues()).isEmpty();
        h.processElement(new StreamRecord<>(cell("c3", fitRows.get(100), "m", false), 13L));
        List<ClassifiedCell> out = h.extractOutputValues();
        assertThat(out).extracting(c -> c.getCellId().toString()).containsExactly("c1", "c2", "c3");
        assertThat(out)
                .extracting(c -> c.getCellType().toString())
                .containsExactly(fitLabels.get(0), fitLabels.get(50), fitLabels.get(100));
        assertThat(h.getOutput().stream().map(o -> ((StreamRecord<?>) o).getTimestamp()).toList())
                .containsExactly(11L, 12L, 13L);
        ClassifiedCell c = out.get(0);
        assertThat(c.getHeadModelId()).isEqualTo("knn-test");
        assertThat(c.getAlphaPolicy()).as("decoded how, from the decode stage").isEqualTo("white");
        assertThat(c.getUnknownReason()).isNull();
        assertThat(c.getTypeSimilarity()).isGreaterThan(0.99f); // its own bank row
        assertThat(c.getTypeProbabilities())
                .extracting(LabelProbability::getLabel)
                .containsExactly("blast", "lymphocyte", "neutrophil");
        assertThat(
                        c.getTypeProbabilities().stream()
                                .mapToDouble(LabelProbability::getProbability)
                                .sum())
                .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        assertThat(counter("cellsTyped")).isEqualTo(3);
        assertThat(((Histogram) metrics.get("typingMicros")).getCount()).isEqualTo(1);
        assertThat(((Histogram) metrics.get("typeConfidence")).getCount()).isEqualTo(3);
    }

    @Test
    void aCheckpointBarrierFlushesAnUnfinishedBatch(@TempDir Path dir) throws Exception {
        open(dir, null);
        h.processElement(new StreamRecord<>(cell("c1", fitRows.get(0), "m", true)));
        assertThat(h.extractOutputValues()).isEmpty();
        h.prepareSnapshotPreBarrier(1);
        assertThat(h.extractOutputValues()).hasSize(1);
    }

    @Test
    void cellsFarFromTheBankAreUnknownWithTheirProbabilitiesKept(@TempDir Path dir)
            throws Exception {
        open(dir, null);
        float[] far = new float[8];
        java.util.Arrays.fill(far, -10f);
        h.processElement(new StreamRecord<>(cell("typed", fitRows.get(0), "m", true)));
        h.processElement(new StreamRecord<>(cell("far", far, "m", false)));
        ClassifiedCell out = h.extractOutputValues().get(1);
        assertThat(out.getCellType()).isEqualTo(CellTypeHead.UNKNOWN);
        assertThat(out.getUnknownReason()).isEqualTo(UnknownPolicy.OUT_OF_DISTRIBUTION);
        assertThat(out.getTypeProbabilities()).hasSize(3);
        assertThat(counter("unknownCells")).isEqualTo(1);
        assertThat(counter("unknownOutOfDistribution")).isEqualTo(1);
        assertThat(counter("unknownLowConfidence")).isZero();
    }

    @Test
    void thresholdsGivenAtStartOverrideTheHeadFile(@TempDir Path dir) throws Exception {
        // Similarity check off, confidence above what 5 votes can give unless unanimous.
        open(dir, new UnknownPolicy(0.9, Double.NEGATIVE_INFINITY, Double.NaN));
        float[] far = new float[8];
        java.util.Arrays.fill(far, -10f);
        h.processElement(new StreamRecord<>(cell("far", far, "m", false)));
        ClassifiedCell out = h.extractOutputValues().get(0);
        if (out.getTypeConfidence() < 0.9f) {
            assertThat(out.getUnknownReason()).isEqualTo(UnknownPolicy.LOW_CONFIDENCE);
        } else {
            assertThat(out.getUnknownReason()).isNull();
        }
        assertThat(counter("unknownOutOfDistribution")).isZero();
    }

    @Test
    void embeddingsFromAnotherModelAreRefused(@TempDir Path dir) throws Exception {
        open(dir, null);
        assertThatThrownBy(
                        () ->
                                h.processElement(
                                        new StreamRecord<>(
                                                cell("x", new float[8], "other-model", false))))
                .hasMessageContaining("knn-test")
                .hasMessageContaining("other-model");
    }
}
