package org.bloomstream.aggregation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bloomstream.aggregation.mil.MilModel;
import org.bloomstream.schemas.avro.CellTimings;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.LabelProbability;

/**
 * A small MIL world for operator tests: 3-dimensional "embeddings" that point at a cell type
 * (normal, a-cell, b-cell), and a hand-set MIL in which subtype A attends to a-cells, B to b-cells
 * and control to normal cells. A bag with 60% a-cells is called A with p > 0.95; a bag of normal
 * cells is called control.
 */
final class MilTestCells {
    static final List<String> TYPES = List.of("normal", "a-cell", "b-cell");
    static final List<String> CLASSES = List.of("A", "B", "control");

    private MilTestCells() {}

    /** The hand-set model; pure Java, so harness tests need no native runtime. */
    static class Model implements MilModel {
        private static final long serialVersionUID = 1L;

        @Override
        public String modelId() {
            return "mil-test";
        }

        @Override
        public String embeddingModelId() {
            return "emb";
        }

        @Override
        public List<String> classes() {
            return CLASSES;
        }

        @Override
        public String controlClass() {
            return "control";
        }

        @Override
        public int embeddingDim() {
            return 3;
        }

        @Override
        public Runtime open() {
            return new Runtime() {
                @Override
                public float[] attention(float[] e) {
                    return new float[] {3 * e[1], 3 * e[2], 3 * e[0]};
                }

                @Override
                public double[] logits(double[][] z) {
                    return new double[] {12 * z[0][1] - 6, 12 * z[1][2] - 6, 4 * z[2][0] - 2};
                }

                @Override
                public void close() {}
            };
        }
    }

    static MilModel model() {
        return new Model();
    }

    static ClassifiedCell cell(String specimen, int n, String type) {
        List<LabelProbability> probs = new ArrayList<>();
        List<Float> embedding = new ArrayList<>();
        for (String t : TYPES) {
            float p = t.equals(type) ? 0.98f : 0.01f;
            probs.add(new LabelProbability(t, p));
            embedding.add(p);
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
                .setEmbedding(embedding)
                .setTimings(new CellTimings(t0, 0, 0, 0, 1, t0))
                .build();
    }

    /** The i-th cell of a specimen whose mix is `aShare` abnormal cells, else normal. */
    static String typeFor(int i, double aShare, String abnormal) {
        return (i * 37 % 100) < aShare * 100 ? abnormal : "normal";
    }
}
