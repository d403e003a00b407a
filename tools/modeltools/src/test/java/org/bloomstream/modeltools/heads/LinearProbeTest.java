package org.bloomstream.modeltools.heads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bloomstream.inference.typing.LinearHead;
import org.junit.jupiter.api.Test;

class LinearProbeTest {

    @Test
    void theServedHeadComputesWhatTribuoPredicts() {
        List<String> labels = new ArrayList<>();
        float[][] rows = Clusters.sample(1, 30, 6, 0.4, labels);
        LinearProbe.Options o = new LinearProbe.Options(20, 0.1, Double.NaN, 7);
        LinearProbe.Fitted tribuo = LinearProbe.train(Clusters.CLASSES, labels, rows, o);
        LinearHead head = LinearProbe.fit("h", "m", Clusters.CLASSES, labels, rows, o, Map.of());
        List<String> testLabels = new ArrayList<>();
        float[][] test = Clusters.sample(2, 5, 6, 0.4, testLabels);
        for (float[] x : test) {
            Map<String, Double> expected = tribuo.predict(x);
            float[] p = head.probabilities(x);
            for (int c = 0; c < p.length; c++) {
                assertThat((double) p[c])
                        .as(Clusters.CLASSES.get(c))
                        .isCloseTo(expected.get(Clusters.CLASSES.get(c)), within(1e-5));
            }
        }
    }

    @Test
    void separatesClustersAndIsReproducible() {
        List<String> labels = new ArrayList<>();
        float[][] rows = Clusters.sample(3, 40, 8, 0.3, labels);
        LinearHead a =
                LinearProbe.fit(
                        "h",
                        "m",
                        Clusters.CLASSES,
                        labels,
                        rows,
                        LinearProbe.Options.DEFAULT,
                        Map.of());
        LinearHead b =
                LinearProbe.fit(
                        "h",
                        "m",
                        Clusters.CLASSES,
                        labels,
                        rows,
                        LinearProbe.Options.DEFAULT,
                        Map.of());
        List<String> testLabels = new ArrayList<>();
        float[][] test = Clusters.sample(4, 20, 8, 0.3, testLabels);
        int correct = 0;
        for (int i = 0; i < test.length; i++) {
            float[] p = a.probabilities(test[i]);
            assertThat(b.probabilities(test[i])).containsExactly(p);
            int best = 0;
            for (int c = 1; c < p.length; c++) {
                best = p[c] > p[best] ? c : best;
            }
            if (Clusters.CLASSES.get(best).equals(testLabels.get(i))) {
                correct++;
            }
        }
        assertThat(correct).isGreaterThanOrEqualTo(57);
        assertThat(a.provenance().get("library")).startsWith("Tribuo 4.3");
        assertThat(a.provenance().get("trainer")).contains("l2=4.16667"); // 100 / (8 dims * 3)
    }

    @Test
    void aVocabularyClassWithoutCellsIsNeverTheAnswer() {
        List<String> labels = new ArrayList<>();
        float[][] rows = Clusters.sample(5, 20, 4, 0.3, labels);
        List<String> vocab = List.of("basophil", "eosinophil", "lymphocyte", "neutrophil");
        LinearHead h =
                LinearProbe.fit(
                        "h", "m", vocab, labels, rows, LinearProbe.Options.DEFAULT, Map.of());
        assertThat(h.classes()).isEqualTo(vocab);
        for (float[] x : rows) {
            assertThat(h.probabilities(x)[0]).isLessThan(1e-6f);
        }
    }
}
