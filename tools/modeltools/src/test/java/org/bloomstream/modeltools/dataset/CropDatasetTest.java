package org.bloomstream.modeltools.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CropDatasetTest {

    static void image(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        String name = file.getFileName().toString();
        String format =
                name.substring(name.lastIndexOf('.') + 1)
                        .replace("jpg", "jpeg")
                        .replace("tif", "tiff");
        ImageIO.write(new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB), format, file.toFile());
    }

    @Test
    void readsLabelsCsvWithGroupsQuotesAndAByteOrderMark(@TempDir Path dir) throws IOException {
        image(dir.resolve("a/one.png"));
        image(dir.resolve("a/two, with comma.jpg"));
        Files.writeString(
                dir.resolve("labels.csv"),
                "\uFEFFpath,label,patient\na/one.png,Neutrophil,P1\n\"a/two, with comma.jpg\",blast,P2\n");
        CropDataset d = CropDataset.open(dir);
        assertThat(d.layout()).isEqualTo(CropDataset.Layout.LABELS_CSV);
        assertThat(d.entries())
                .extracting(CropDataset.Entry::label)
                .containsExactly("Neutrophil", "blast");
        assertThat(d.entries()).extracting(CropDataset.Entry::group).containsExactly("P1", "P2");
        assertThat(d.labelled()).isTrue();
        assertThat(d.grouped()).isTrue();
    }

    @Test
    void readsThePublishedAmlLayout(@TempDir Path dir) throws IOException {
        image(dir.resolve("NPM1/patient_07/image_1.tif"));
        image(dir.resolve("NPM1/patient_07/image_2.tif"));
        image(dir.resolve("control/patient_01/image_1.tif"));
        Files.writeString(dir.resolve("metadata.csv"), "patient_id,diagnose\n");
        CropDataset d = CropDataset.open(dir);
        assertThat(d.layout()).isEqualTo(CropDataset.Layout.LABEL_PATIENT_FOLDERS);
        assertThat(d.entries())
                .extracting(e -> e.label() + "/" + e.group())
                .containsExactly("NPM1/patient_07", "NPM1/patient_07", "control/patient_01");
    }

    @Test
    void readsLabelFoldersAndFlatFolders(@TempDir Path dir) throws IOException {
        image(dir.resolve("byLabel/Eosinophil/x.bmp"));
        image(dir.resolve("byLabel/Basophil/y.png"));
        CropDataset byLabel = CropDataset.open(dir.resolve("byLabel"));
        assertThat(byLabel.layout()).isEqualTo(CropDataset.Layout.LABEL_FOLDERS);
        assertThat(byLabel.entries())
                .extracting(CropDataset.Entry::label)
                .containsExactly("Basophil", "Eosinophil");
        assertThat(byLabel.grouped()).isFalse();

        image(dir.resolve("flat/1.png"));
        image(dir.resolve("flat/2.png"));
        Files.writeString(dir.resolve("flat/notes.txt"), "not an image");
        CropDataset flat = CropDataset.open(dir.resolve("flat"));
        assertThat(flat.layout()).isEqualTo(CropDataset.Layout.FLAT);
        assertThat(flat.entries()).hasSize(2);
        assertThat(flat.labelled()).isFalse();
    }

    @Test
    void badFoldersAreClearErrors(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("empty"));
        assertThatThrownBy(() -> CropDataset.open(dir.resolve("empty")))
                .hasMessageContaining("no images");
        image(dir.resolve("mixed/a.png"));
        image(dir.resolve("mixed/sub/b.png"));
        assertThatThrownBy(() -> CropDataset.open(dir.resolve("mixed")))
                .hasMessageContaining("depths");
        image(dir.resolve("csv/a.png"));
        Files.writeString(
                dir.resolve("csv/labels.csv"), "path,label\na.png,blast\nmissing.png,blast\n");
        assertThatThrownBy(() -> CropDataset.open(dir.resolve("csv")))
                .hasMessageContaining("labels.csv:3")
                .hasMessageContaining("missing.png");
        Files.writeString(dir.resolve("csv/labels.csv"), "file,class\na.png,blast\n");
        assertThatThrownBy(() -> CropDataset.open(dir.resolve("csv")))
                .hasMessageContaining("path,label");
        Files.writeString(dir.resolve("csv/labels.csv"), "path,label\n../escape.png,blast\n");
        assertThatThrownBy(() -> CropDataset.open(dir.resolve("csv")))
                .hasMessageContaining("no such file in the folder");
    }
}
