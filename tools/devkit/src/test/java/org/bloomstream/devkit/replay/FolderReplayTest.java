package org.bloomstream.devkit.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.ingest.TestImages;
import org.bloomstream.schemas.avro.ScanEventType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FolderReplayTest {
    @TempDir Path dir;

    private void crops(Path folder, int n) throws IOException {
        Files.createDirectories(folder);
        for (int i = 0; i < n; i++) {
            Files.write(folder.resolve("image_" + i + ".png"), TestImages.png(10, 10));
        }
    }

    private static List<Emission> all(Iterable<Emission> it) {
        List<Emission> l = new ArrayList<>();
        it.forEach(l::add);
        return l;
    }

    @Test
    void aFolderTreeInTheAmlLayoutGivesOneSpecimenPerPatientFolder() throws Exception {
        crops(dir.resolve("NPM1/patient_07"), 3);
        crops(dir.resolve("control/patient_01"), 2);
        Files.writeString(dir.resolve("metadata.csv"), "patient,label\n");
        FolderReplay r = FolderReplay.open(dir, 1, "");
        assertThat(r.crops()).isEqualTo(5);
        assertThat(r.specimens()).isEqualTo(2);

        List<Emission> e = all(r);
        assertThat(e).hasSize(9);
        assertThat(e.get(0).type()).isEqualTo(Emission.Type.SCAN_STARTED);
        assertThat(e.get(0).specimenId()).isEqualTo("NPM1_patient_07");
        assertThat(e.get(1).crop().getCellId()).isEqualTo("NPM1_patient_07/image_0.png");
        Emission finished = e.get(4);
        assertThat(finished.scanEvent().getType()).isEqualTo(ScanEventType.FINISHED);
        assertThat(finished.scanEvent().getExpectedCells()).isEqualTo(3);
        assertThat(e.get(5).specimenId()).isEqualTo("control_patient_01");
    }

    @Test
    void repeatsAreDistinctSpecimensWithDistinctCellIds() throws Exception {
        crops(dir, 2);
        FolderReplay r = FolderReplay.open(dir, 3, "load");
        assertThat(r.crops()).isEqualTo(6);
        List<String> ids =
                all(r).stream()
                        .filter(x -> x.crop() != null)
                        .map(x -> x.crop().getCellId())
                        .toList();
        assertThat(ids).hasSize(6).doesNotHaveDuplicates();
        String flat = dir.getFileName().toString();
        assertThat(ids.get(0)).isEqualTo(flat + "/image_0.png~load-r1");
        List<Emission> e = all(r);
        assertThat(e.get(0).scanEvent().getSpecimenId()).isEqualTo(flat + "~load-r1");
        assertThat(e.get(1).crop().getSpecimenId()).isEqualTo(flat + "~load-r1");
        assertThat(e.get(1).specimenId()).isEqualTo(flat + "~load-r1");
    }

    @Test
    void aLabelledFolderIsReplayedWithItsLabels() throws Exception {
        crops(dir, 2);
        Files.writeString(
                dir.resolve("labels.csv"),
                "path,label,group\nimage_0.png,lymphocyte,g1\nimage_1.png,monocyte,g2\n");
        FolderReplay r = FolderReplay.open(dir, 1, "t");
        assertThat(r.specimens()).isEqualTo(2);
        assertThat(
                        all(r).stream()
                                .filter(x -> x.crop() != null)
                                .map(x -> x.crop().getReferenceLabel()))
                .containsExactly("lymphocyte", "monocyte");
    }

    @Test
    void aFolderWithoutCropsIsAnError() {
        assertThatThrownBy(() -> FolderReplay.open(dir, 1, ""))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("no crops");
    }
}
