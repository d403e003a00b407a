package org.bloomstream.modeltools.batcheffects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchEffectsTest {

    @Test
    void silhouetteMatchesAHandComputedExample() {
        double[] x = {0, 1, 4, 5};
        double[][] d = new double[4][4];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                d[i][j] = Math.abs(x[i] - x[j]);
            }
        }
        // (3.5/4.5 + 2.5/3.5) / 2, as scikit-learn's silhouette_score gives for these points
        double expected = (3.5 / 4.5 + 2.5 / 3.5) / 2;
        assertThat(BatchEffects.silhouette(d, new String[] {"a", "a", "b", "b"}, null))
                .isCloseTo(expected, within(1e-12));
        assertThat(BatchEffects.silhouette(d, new String[] {"a", "a", "a", "a"}, null)).isNaN();
    }

    @Test
    void labelsFromDifferentVocabulariesMeet() {
        assertThat(BatchEffects.harmonise("NGS")).isEqualTo("neutrophil");
        assertThat(BatchEffects.harmonise("Neutrophil")).isEqualTo("neutrophil");
        assertThat(BatchEffects.harmonise("LYT")).isEqualTo("lymphocyte");
        assertThat(BatchEffects.harmonise("EBO")).isEqualTo("erythroblast");
        assertThat(BatchEffects.harmonise("MYB")).isEqualTo("myelocyte");
        assertThat(BatchEffects.harmonise("platelet")).isEqualTo("platelet");
    }

    /** Two data sets, the second shifted: they separate by set, not by label, and mix poorly. */
    @Test
    void aShiftedSetSeparatesByDataSetAndAMixedOneDoesNot(@TempDir Path dir) throws Exception {
        Random r = new Random(1);
        float[][] classMeans = new float[2][16];
        for (float[] m : classMeans) {
            for (int k = 0; k < 16; k++) {
                m[k] = (float) r.nextGaussian();
            }
        }
        List<String> sets = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<float[]> rows = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            for (int i = 0; i < 80; i++) {
                float[] v = new float[16];
                for (int k = 0; k < 16; k++) {
                    v[k] =
                            classMeans[i % 2][k]
                                    + (float) (0.3 * r.nextGaussian())
                                    + (s == 2 && k < 4 ? 3f : 0f);
                }
                sets.add("set" + s);
                labels.add(i % 2 == 0 ? "neutrophil" : "LYT");
                rows.add(v);
            }
        }
        List<BatchEffects.Cell> cells =
                BatchEffects.cells(sets, labels, rows.toArray(new float[0][]));
        BatchEffects.Result res = BatchEffects.compute(cells);
        assertThat(res.datasets()).containsExactly("set0", "set1", "set2");
        assertThat(res.mixingByDataset().get("set2")).isLessThan(0.1);
        assertThat(res.mixingByDataset().get("set0")).isGreaterThan(0.3);
        // set0 and set1 come from one distribution; set2 does not
        assertThat(Math.abs(res.mmd2()[0][1])).isLessThan(0.02);
        assertThat(res.mmd2()[0][2]).isGreaterThan(0.1);
        assertThat(res.silhouetteByLabelWithin().get("set0")).isGreaterThan(0.5);
        assertThat(res.table()).contains("| set2 | 80 |");

        double[][] xy = BatchEffects.pca2(cells);
        Path png = dir.resolve("map.png");
        BatchMap.write(cells, xy, "test", "note", png);
        var img = ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isGreaterThan(1000);
    }
}
