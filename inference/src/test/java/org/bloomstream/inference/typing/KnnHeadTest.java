package org.bloomstream.inference.typing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KnnHeadTest {
    static final List<String> CLASSES = List.of("a", "b", "c");

    /** Unit vectors along the axes: a hand-checkable bank. */
    static KnnHead axes(int k) {
        float[] bank = {
            1, 0, 0, // a
            0.9f, 0.1f, 0, // a
            0, 1, 0, // b
            0, 0.9f, 0.1f, // b
            0, 0, 1 // c
        };
        for (int r = 0; r < 5; r++) {
            float[] v = Vectors.unit(java.util.Arrays.copyOfRange(bank, r * 3, r * 3 + 3));
            System.arraycopy(v, 0, bank, r * 3, 3);
        }
        return new KnnHead(
                new HeadInfo("axes", "m", 3, CLASSES, UnknownPolicy.OFF, Map.of()),
                k,
                bank,
                new int[] {0, 0, 1, 1, 2});
    }

    @Test
    void votesAreTheShareOfTheKNearest() throws Exception {
        KnnHead h = axes(3);
        float[][] q = {{1, 0.2f, 0}}; // nearest: a, a, then b
        for (HeadScorer s : List.of(h.open(), h.openExact())) {
            try (s) {
                Scores sc = s.score(q, 1);
                assertThat(sc.probabilities()[0][0]).isCloseTo(2 / 3f, within(1e-6f));
                assertThat(sc.probabilities()[0][1]).isCloseTo(1 / 3f, within(1e-6f));
                assertThat(sc.probabilities()[0][2]).isZero();
                assertThat(sc.prediction(0, h, UnknownPolicy.OFF).type()).isEqualTo("a");
                assertThat(sc.similarity()[0])
                        .isCloseTo(
                                (float)
                                        Vectors.dot(
                                                Vectors.unit(q[0]),
                                                // the nearest reference: the second a
                                                Vectors.unit(new float[] {0.9f, 0.1f, 0})),
                                within(1e-5f));
            }
        }
    }

    @Test
    void aTieGoesToTheCloserClassNotTheFirstOne() throws Exception {
        // Class order b, a; one reference cell each. With k = 2 every query is a 1:1 tie.
        KnnHead h =
                new KnnHead(
                        new HeadInfo("tie", "m", 2, List.of("b", "a"), UnknownPolicy.OFF, Map.of()),
                        2,
                        new float[] {1, 0, 0, 1},
                        new int[] {1, 0});
        float[][] q = {{1, 0.5f}, {0.5f, 1}};
        for (HeadScorer s : List.of(h.open(), h.openExact())) {
            try (s) {
                Scores sc = s.score(q, 2);
                assertThat(sc.probabilities()[0]).containsExactly(0.5f, 0.5f);
                assertThat(sc.prediction(0, h, UnknownPolicy.OFF).type()).isEqualTo("a");
                assertThat(sc.prediction(1, h, UnknownPolicy.OFF).type()).isEqualTo("b");
            }
        }
    }

    @Test
    void farFromEveryReferenceCellIsOutOfDistribution() throws Exception {
        List<String> labels = new ArrayList<>();
        List<float[]> emb = new ArrayList<>();
        CentroidHeadTest.sample(new Random(1), 60, labels, emb);
        KnnHead h =
                KnnHead.fit(
                        "k",
                        "m",
                        null,
                        labels,
                        emb.toArray(new float[0][]),
                        20,
                        0.5,
                        0.01,
                        Map.of());
        assertThat(h.classes()).containsExactly("blast", "lymphocyte", "neutrophil");
        UnknownPolicy p = h.unknownPolicy();
        assertThat(p.minConfidence()).isEqualTo(0.5);
        assertThat(p.similarityQuantile()).isEqualTo(0.01);
        // The threshold is the 1% quantile of the leave-one-out similarities, so about 1% of the
        // fitting cells fall below it.
        double[] loo = h.leaveOneOutSimilarities();
        long below = java.util.Arrays.stream(loo).filter(v -> v < p.minSimilarity()).count();
        assertThat(below).isLessThanOrEqualTo(2);

        float[] away = new float[8];
        java.util.Arrays.fill(away, -10f); // opposite to the common offset of the sample
        List<String> tl = new ArrayList<>();
        List<float[]> test = new ArrayList<>();
        CentroidHeadTest.sample(new Random(2), 10, tl, test);
        test.add(away);
        float[][] x = test.toArray(new float[0][]);
        try (HeadScorer s = h.open()) {
            Scores sc = s.score(x, x.length);
            Prediction far = sc.prediction(x.length - 1, h, p);
            assertThat(far.type()).isEqualTo(CellTypeHead.UNKNOWN);
            assertThat(far.unknownReason()).isEqualTo(UnknownPolicy.OUT_OF_DISTRIBUTION);
            int typed = 0;
            for (int i = 0; i < x.length - 1; i++) {
                Prediction q = sc.prediction(i, h, p);
                if (q.type().equals(tl.get(i))) {
                    typed++;
                }
            }
            assertThat(typed).isGreaterThanOrEqualTo(27);
        }
    }

    @Test
    void lowConfidenceIsUnknownWithTheBestGuessKept() {
        Scores s = new Scores(new float[][] {{0.45f, 0.35f, 0.2f}}, new float[] {0.9f});
        Prediction p = s.prediction(0, axes(1), new UnknownPolicy(0.5, 0.1, Double.NaN));
        assertThat(p.unknown()).isTrue();
        assertThat(p.unknownReason()).isEqualTo(UnknownPolicy.LOW_CONFIDENCE);
        assertThat(p.best()).isZero();
        assertThat(p.confidence()).isEqualTo(0.45f);
        // Both checks fail: out of distribution is reported, it is the stronger statement.
        assertThat(
                        s.prediction(0, axes(1), new UnknownPolicy(0.5, 0.95, Double.NaN))
                                .unknownReason())
                .isEqualTo(UnknownPolicy.OUT_OF_DISTRIBUTION);
        assertThat(s.prediction(0, axes(1), UnknownPolicy.OFF).type()).isEqualTo("a");
    }

    @Test
    void euclideanRanksRawVectorsAndBreaksTiesToTheFirstClass() throws Exception {
        // Raw (not unit) rows: by cosine the query [10, 0] is nearest to [1, 0] (class b); by
        // Euclidean distance it is nearest to [9, 1] (class a).
        float[][] rows = {{9, 1}, {1, 0}, {0, 5}, {0, 6}};
        List<String> labels = List.of("a", "b", "c", "c");
        KnnHead h =
                KnnHead.fit(
                        "e",
                        "m",
                        List.of("a", "b", "c"),
                        labels,
                        rows,
                        1,
                        KnnHead.Metric.EUCLIDEAN,
                        0,
                        Double.NaN,
                        Map.of());
        assertThat(h.metric()).isEqualTo(KnnHead.Metric.EUCLIDEAN);
        float[][] q = {{10, 0}};
        for (HeadScorer s : List.of(h.open(), h.openExact())) {
            try (s) {
                Scores sc = s.score(q, 1);
                assertThat(sc.prediction(0, h, UnknownPolicy.OFF).type()).isEqualTo("a");
                assertThat(sc.similarity()[0]).isCloseTo((float) -Math.sqrt(2), within(1e-4f));
            }
        }
        // k = 2: the two nearest of [0.5, 2.75] are c [0, 5] (2.30) and b [1, 0] (2.80).
        KnnHead two = h.withK(2);
        float[][] mid = {{0.5f, 2.75f}};
        try (HeadScorer s = two.openExact()) {
            Scores sc = s.score(mid, 1);
            assertThat(sc.probabilities()[0][1]).isEqualTo(0.5f);
            assertThat(sc.probabilities()[0][2]).isEqualTo(0.5f);
            // scikit-learn's mode: the first class in order wins a tie, whoever is nearer.
            assertThat(sc.prediction(0, two, UnknownPolicy.OFF).type()).isEqualTo("b");
        }
    }

    @Test
    void theMetricSurvivesTheHeadFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        float[][] rows = {{9, 1}, {1, 0}, {0, 5}};
        KnnHead h =
                KnnHead.fit(
                        "e",
                        "m",
                        List.of("a", "b", "c"),
                        List.of("a", "b", "c"),
                        rows,
                        1,
                        KnnHead.Metric.EUCLIDEAN,
                        0,
                        Double.NaN,
                        Map.of());
        java.nio.file.Path f = tmp.resolve("h.json");
        h.write(f);
        assertThat(java.nio.file.Files.readString(f)).contains("\"metric\" : \"euclidean\"");
        KnnHead back = (KnnHead) HeadFiles.read(f);
        assertThat(back.metric()).isEqualTo(KnnHead.Metric.EUCLIDEAN);
        assertThat(back.bank()).containsExactly(9, 1, 1, 0, 0, 5);
    }
}
