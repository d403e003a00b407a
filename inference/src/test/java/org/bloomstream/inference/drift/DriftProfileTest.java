package org.bloomstream.inference.drift;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bloomstream.inference.typing.CellTypeHead;
import org.bloomstream.inference.typing.HeadFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DriftProfileTest {

    @Test
    void profileTravelsInTheHeadFileAndOldReadersIgnoreIt(@TempDir Path dir) throws Exception {
        float[][] rows = DriftCells.rows(300, 1, 0);
        CellTypeHead head = DriftCells.head(rows);
        DriftProfile p = DriftProfile.fit(head, rows);
        Path f = dir.resolve("head.json");
        p.writeWith(head, f);

        DriftProfile back = DriftProfile.read(f).orElseThrow();
        assertThat(back.rffMean()).containsExactly(p.rffMean());
        assertThat(back.center()).containsExactly(p.center());
        assertThat(back.sigma()).isEqualTo(p.sigma());
        assertThat(back.similarityMean()).containsExactly(p.similarityMean());
        assertThat(back.classes()).isEqualTo(head.classes());
        assertThat(back.features()).isEqualTo(DriftProfile.DEFAULT_FEATURES);
        // the head itself reads as before
        assertThat(HeadFiles.read(f).classes()).isEqualTo(head.classes());
    }

    @Test
    void aHeadWithoutProfileLoadsAndHasNone(@TempDir Path dir) throws Exception {
        CellTypeHead head = DriftCells.head(DriftCells.rows(90, 1, 0));
        Path f = dir.resolve("old.json");
        head.write(f);
        assertThat(Files.readString(f)).doesNotContain(DriftProfile.SECTION);
        assertThat(HeadFiles.read(f).headId()).isEqualTo("h");
        assertThat(DriftProfile.read(f)).isEmpty();
    }

    @Test
    void featuresAreReproducibleFromTheSeed() {
        RandomFourierFeatures a = new RandomFourierFeatures(16, 64, 1.3, 19);
        RandomFourierFeatures b = new RandomFourierFeatures(16, 64, 1.3, 19);
        RandomFourierFeatures c = new RandomFourierFeatures(16, 64, 1.3, 20);
        float[] u = DriftCells.rows(1, 3, 0)[0];
        double[] sa = new double[64];
        double[] sb = new double[64];
        double[] sc = new double[64];
        double qa = a.addTo(u, sa, 0);
        b.addTo(u, sb, 0);
        c.addTo(u, sc, 0);
        assertThat(sa).containsExactly(sb);
        assertThat(sa).isNotEqualTo(sc);
        // sqrt(2/m) cos(.): the squared norm is about 1 (the kernel's k(u, u))
        assertThat(qa).isBetween(0.5, 1.5);
    }

    /**
     * The features as the definition writes them, one feature at a time (a dot product summed in
     * dimension order, then the cosine), to the bit: fitted profiles and the running job must
     * agree, whichever loop order computes them. Added to a sum that already holds values.
     */
    @Test
    void featuresEqualTheDefinitionToTheBit() {
        int dim = 37;
        int m = 256;
        RandomFourierFeatures rff = new RandomFourierFeatures(dim, m, 0.8, 7);
        java.util.Random r = new java.util.Random(3);
        for (int cell = 0; cell < 20; cell++) {
            float[] u = new float[dim];
            for (int d = 0; d < dim; d++) {
                u[d] = (float) r.nextGaussian();
            }
            double[] sum = new double[m + 2];
            double[] expected = new double[m + 2];
            for (int j = 0; j < sum.length; j++) {
                sum[j] = expected[j] = j * 0.25;
            }
            double sq = rff.addTo(u, sum, 2);

            double expectedSq = 0;
            for (int j = 0; j < m; j++) {
                double dot = rff.phase(j);
                for (int d = 0; d < dim; d++) {
                    dot += rff.frequency(j, d) * u[d];
                }
                double f = Math.sqrt(2.0 / m) * Math.cos(dot);
                expected[2 + j] += f;
                expectedSq += f * f;
            }
            assertThat(sum).containsExactly(expected);
            assertThat(sq).isEqualTo(expectedSq);
        }
    }
}
