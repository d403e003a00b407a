package org.bloomstream.modeltools.heads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bloomstream.inference.typing.CellTypeHead;
import org.bloomstream.inference.typing.HeadScorer;
import org.bloomstream.inference.typing.Scores;
import org.junit.jupiter.api.Test;

class HeadFitterTest {

    @Test
    void everyKindFitsTypesAndRecordsItsThresholds() throws Exception {
        List<String> labels = new ArrayList<>();
        float[][] rows = Clusters.sample(1, 40, 8, 0.3, labels);
        List<String> testLabels = new ArrayList<>();
        float[][] test = Clusters.sample(2, 20, 8, 0.3, testLabels);
        for (HeadFitter.Kind kind : HeadFitter.Kind.values()) {
            CellTypeHead h =
                    HeadFitter.fit(
                            kind.label + "-h",
                            "m",
                            null,
                            labels,
                            rows,
                            HeadFitter.Options.defaults(kind),
                            Map.of("source", "test"));
            assertThat(h.kind()).isEqualTo(kind.label);
            assertThat(h.classes()).containsExactlyInAnyOrderElementsOf(Clusters.CLASSES);
            assertThat(h.unknownPolicy().minConfidence()).isEqualTo(0.5);
            assertThat(h.unknownPolicy().similarityQuantile()).isEqualTo(0.01);
            assertThat(h.unknownPolicy().minSimilarity()).isBetween(-1.0, 1.0);
            assertThat(h.provenance()).containsEntry("source", "test");
            assertThat(h.provenance().get("fittedOn")).startsWith("120 cells");
            try (HeadScorer s = h.open()) {
                Scores sc = s.score(test, test.length);
                int correct = 0;
                int unknown = 0;
                for (int i = 0; i < test.length; i++) {
                    var p = sc.prediction(i, h, h.unknownPolicy());
                    correct += h.classes().get(p.best()).equals(testLabels.get(i)) ? 1 : 0;
                    unknown += p.unknown() ? 1 : 0;
                }
                assertThat(correct).as(kind.label).isGreaterThanOrEqualTo(55);
                // Cells like the fitting cells: few fall under the 1% similarity quantile.
                assertThat(unknown).as(kind.label).isLessThanOrEqualTo(6);
            }
        }
    }

    @Test
    void kindsParseByTheirFileNames() {
        assertThat(HeadFitter.Kind.parse("knn")).isEqualTo(HeadFitter.Kind.KNN);
        assertThat(HeadFitter.Kind.parse("nearest-centroid")).isEqualTo(HeadFitter.Kind.CENTROID);
        assertThat(HeadFitter.Kind.parse("LINEAR")).isEqualTo(HeadFitter.Kind.LINEAR);
        assertThatThrownBy(() -> HeadFitter.Kind.parse("svm")).hasMessageContaining("knn, linear");
    }
}
