package org.bloomstream.inference.typing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CentroidHeadTest {

    /** Three clusters sharing a large common offset, as ViT features do. */
    static void sample(Random r, int perClass, List<String> labels, List<float[]> emb) {
        String[] names = {"neutrophil", "lymphocyte", "blast"};
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < perClass; i++) {
                float[] v = new float[8];
                for (int d = 0; d < 8; d++) {
                    v[d] = 10f + (d == c ? 1f : 0f) + (float) (r.nextGaussian() * 0.3);
                }
                labels.add(names[c]);
                emb.add(v);
            }
        }
    }

    @Test
    void centringSeparatesClustersThatShareAnOffset() {
        List<String> labels = new ArrayList<>();
        List<float[]> emb = new ArrayList<>();
        sample(new Random(1), 50, labels, emb);
        CentroidHead head = CentroidHead.fit("h", "m", labels, emb, 0.1);
        List<String> testLabels = new ArrayList<>();
        List<float[]> test = new ArrayList<>();
        sample(new Random(2), 50, testLabels, test);
        int correct = 0;
        for (int i = 0; i < test.size(); i++) {
            float[] p = head.probabilities(test.get(i));
            float sum = 0;
            int best = 0;
            for (int c = 0; c < p.length; c++) {
                sum += p[c];
                best = p[c] > p[best] ? c : best;
            }
            assertThat(sum).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-5f));
            if (head.classes().get(best).equals(testLabels.get(i))) {
                correct++;
            }
        }
        assertThat(correct / (double) test.size()).isGreaterThan(0.9);
    }

    @Test
    void calibrationLowersTheHeldOutLogLossAndWritesItsTemperature(@TempDir Path dir)
            throws IOException {
        List<String> labels = new ArrayList<>();
        List<float[]> emb = new ArrayList<>();
        sample(new Random(1), 40, labels, emb);
        List<String> heldLabels = new ArrayList<>();
        List<float[]> held = new ArrayList<>();
        sample(new Random(3), 40, heldLabels, held);
        CentroidHead raw = CentroidHead.fit("h", "m", labels, emb, 5.0);
        CentroidHead cal = raw.calibrated(heldLabels, held);
        assertThat(nll(cal, heldLabels, held)).isLessThan(nll(raw, heldLabels, held));

        Path f = dir.resolve("head.json");
        cal.write(f);
        CentroidHead back = CentroidHead.read(f);
        assertThat(back.temperature()).isEqualTo(cal.temperature());
        assertThat(back.classes()).isEqualTo(cal.classes());
        assertThat(back.probabilities(held.get(7))).containsExactly(cal.probabilities(held.get(7)));
    }

    private static double nll(CentroidHead h, List<String> labels, List<float[]> emb) {
        double s = 0;
        for (int i = 0; i < labels.size(); i++) {
            s -= Math.log(h.probabilities(emb.get(i))[h.classes().indexOf(labels.get(i))]);
        }
        return s;
    }

    @Test
    void aHeadFittedOnAnotherModelIsRefused() {
        CentroidHead head =
                CentroidHead.fit(
                        "h",
                        "vit_s14-abc",
                        List.of("a", "b"),
                        List.of(new float[] {1, 0}, new float[] {0, 1}),
                        0.1);
        assertThatThrownBy(() -> head.checkCompatible("vit_tiny-random-seed0", 2))
                .hasMessageContaining("vit_s14-abc")
                .hasMessageContaining("vit_tiny-random-seed0");
        assertThatThrownBy(() -> head.checkCompatible("vit_s14-abc", 384))
                .hasMessageContaining("384");
        assertThatThrownBy(() -> head.probabilities(new float[3])).hasMessageContaining("3 dims");
    }

    @Test
    void malformedFilesAreRejectedWithTheFileName(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{\"format\":\"bloomstream-head/1\",\"kind\":\"knn\"}");
        assertThatThrownBy(() -> CentroidHead.read(f)).hasMessageContaining("bad.json");
        Files.writeString(
                f,
                "{\"format\":\"bloomstream-head/1\",\"kind\":\"nearest-centroid\",\"dim\":2,"
                        + "\"headId\":\"h\",\"embeddingModelId\":\"m\","
                        + "\"temperature\":0.1,\"classes\":[\"a\"],\"centroids\":[[1,0],[0,1]]}");
        assertThatThrownBy(() -> CentroidHead.read(f)).hasMessageContaining("one to one");
    }
}
