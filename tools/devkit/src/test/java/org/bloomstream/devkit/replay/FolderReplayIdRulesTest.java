package org.bloomstream.devkit.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.schemas.ids.IdRules;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The replay path of the id-rule table (issue 20; the other paths are in ingest's {@code
 * IdRulesTableTest}): a specimen folder name that breaks the rules refuses the replay before
 * anything is sent, with the rule's reason. Names a file system cannot hold (NUL, 200 KB) are left
 * out.
 */
class FolderReplayIdRulesTest {
    @TempDir Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "plain|SPEC-1|",
                "utf8|SPEC-患者|",
                "ESC|SPEC\u001B[31mX|control character",
                "bidi|SPEC\u202EX|bidirectional",
                "too long for a tagged id|LONG|characters long"
            })
    void replayAppliesTheSameIdRules(String rule, String folder, String reason) throws Exception {
        Path crops = Files.createDirectories(dir.resolve(folder));
        Files.write(crops.resolve("image_1.png"), png());
        IdRules rules = rule.startsWith("too long") ? new IdRules(8) : IdRules.DEFAULT;
        if (reason == null) {
            List<Emission> all = new ArrayList<>();
            FolderReplay.open(dir, 1, "", rules).forEach(all::add);
            assertThat(all)
                    .filteredOn(e -> e.crop() != null)
                    .singleElement()
                    .satisfies(e -> assertThat(e.crop().getSpecimenId()).isEqualTo(folder));
        } else {
            assertThatThrownBy(() -> FolderReplay.open(dir, 1, "", rules))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("nothing sent")
                    .hasMessageContaining(reason);
        }
    }

    private static byte[] png() throws IOException {
        var img =
                new java.awt.image.BufferedImage(10, 10, java.awt.image.BufferedImage.TYPE_INT_RGB);
        var out = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "png", out);
        return out.toByteArray();
    }
}
