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
}
