package org.bloomstream.aggregation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bloomstream.aggregation.mil.DifferentialMilModel;
import org.bloomstream.schemas.avro.CellTimings;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.LabelProbability;

/** Small MIL worlds for operator tests: two subtypes told apart by their typical cell. */
final class MilTestCells {
    static final List<String> TYPES = List.of("normal", "a-cell", "b-cell");
    static final List<String> CLASSES = List.of("A", "B", "control");

    private MilTestCells() {}

    /** A: 60% a-cells; B: 60% b-cells; control: almost all normal. */
    static DifferentialMilModel model() {
        double[][] p = {{0.4, 0.59, 0.01}, {0.4, 0.01, 0.59}, {0.98, 0.01, 0.01}};
        double[][] log = new double[3][3];
        for (int c = 0; c < 3; c++) {
            for (int t = 0; t < 3; t++) {
                log[c][t] = Math.log(p[c][t]);
            }
        }
        return new DifferentialMilModel("mil-test", CLASSES, "control", TYPES, log, 1.0, 50.0);
    }

    static ClassifiedCell cell(String specimen, int n, String type) {
        List<LabelProbability> probs = new ArrayList<>();
        for (String t : TYPES) {
            probs.add(new LabelProbability(t, t.equals(type) ? 0.98f : 0.01f));
        }
        Instant t0 = Instant.ofEpochMilli(1_000_000L + n);
        return ClassifiedCell.newBuilder()
                .setCellId(specimen + "-c" + n)
                .setSpecimenId(specimen)
                .setScanId(specimen + "-scan")
                .setScannerId("s1")
                .setCaptureTime(t0)
                .setCellType(type)
                .setTypeConfidence(0.98f)
                .setTypeProbabilities(probs)
                .setEmbeddingModelId("emb")
                .setHeadModelId("head")
                .setTimings(new CellTimings(t0, 0, 0, 0, 1, t0))
                .build();
    }

    /** The i-th cell of a specimen whose mix is `aShare` a-cells, else normal (deterministic). */
    static String typeFor(int i, double aShare, String abnormal) {
        return (i * 37 % 100) < aShare * 100 ? abnormal : "normal";
    }
}
