package org.bloomstream.inference.drift;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.bloomstream.inference.typing.CellTypeHead;
import org.bloomstream.inference.typing.CentroidHead;
import org.bloomstream.inference.typing.HeadScorer;
import org.bloomstream.inference.typing.Prediction;
import org.bloomstream.inference.typing.Scores;
import org.bloomstream.schemas.avro.CellTimings;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.LabelProbability;

/** Three Gaussian classes in 16 dims, a centroid head fitted on them, and typed cells. */
final class DriftCells {
    static final int DIM = 16;
    static final List<String> CLASSES = List.of("a", "b", "c");
    private static final float[][] MEANS = new float[3][DIM];

    static {
        Random r = new Random(7);
        for (float[] m : MEANS) {
            for (int d = 0; d < DIM; d++) {
                m[d] = (float) (3 * r.nextGaussian());
            }
        }
    }

    private DriftCells() {}

    /** {@code n} embeddings, classes in turn, shifted by {@code shift} on every dim. */
    static float[][] rows(int n, long seed, double shift) {
        Random r = new Random(seed);
        float[][] out = new float[n][DIM];
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < DIM; d++) {
                out[i][d] = (float) (MEANS[i % 3][d] + r.nextGaussian() + (d % 2 == 0 ? shift : 0));
            }
        }
        return out;
    }

    /** {@code n} embeddings of class {@code cls} only: a change of case mix, not of look. */
    static float[][] rowsOfClass(int n, long seed, int cls) {
        float[][] all = rows(3 * n, seed, 0);
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = all[3 * i + cls];
        }
        return out;
    }

    static List<String> labels(int n) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(CLASSES.get(i % 3));
        }
        return l;
    }

    static CellTypeHead head(float[][] rows) {
        return CentroidHead.fit("h", "emb", labels(rows.length), List.of(rows), 0.1);
    }

    /** Typed cells of one scanner, as the typing step would emit them. */
    static List<ClassifiedCell> typed(CellTypeHead head, String scanner, float[][] rows, long t0)
            throws Exception {
        List<ClassifiedCell> out = new ArrayList<>();
        try (HeadScorer s = head.open()) {
            Scores scores = s.score(rows, rows.length);
            for (int i = 0; i < rows.length; i++) {
                Prediction p = scores.prediction(i, head, head.unknownPolicy());
                List<LabelProbability> probs = new ArrayList<>();
                for (int c = 0; c < head.classes().size(); c++) {
                    probs.add(
                            new LabelProbability(
                                    head.classes().get(c), scores.probabilities()[i][c]));
                }
                List<Float> e = new ArrayList<>();
                for (float x : rows[i]) {
                    e.add(x);
                }
                Instant t = Instant.ofEpochMilli(t0 + i);
                out.add(
                        ClassifiedCell.newBuilder()
                                .setCellId(scanner + "-" + t0 + "-" + i)
                                .setSpecimenId("spc")
                                .setScanId("scan")
                                .setScannerId(scanner)
                                .setCaptureTime(t)
                                .setCellType(p.type())
                                .setTypeConfidence(p.confidence())
                                .setTypeProbabilities(probs)
                                .setEmbeddingModelId("emb")
                                .setHeadModelId("h")
                                .setUnknownReason(p.unknownReason())
                                .setTypeSimilarity(p.similarity())
                                .setEmbedding(e)
                                .setTimings(new CellTimings(t, 0, 0, 0, 1, t))
                                .build());
            }
        }
        return out;
    }
}
