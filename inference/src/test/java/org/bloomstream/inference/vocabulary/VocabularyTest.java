package org.bloomstream.inference.vocabulary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabularyTest {

    @Test
    void theShippedVocabulariesHaveTheirPublishedClasses() {
        assertThat(Vocabulary.builtIn("peripheral-5").codes())
                .containsExactly("neutrophil", "lymphocyte", "monocyte", "eosinophil", "basophil");
        assertThat(Vocabulary.builtIn("matek-2018-15").codes())
                .containsExactly(
                        "BAS", "EBO", "EOS", "KSC", "LYA", "LYT", "MMZ", "MOB", "MON", "MYB", "MYO",
                        "NGB", "NGS", "PMB", "PMO");
        assertThat(Vocabulary.builtIn("bone-marrow-21").codes())
                .containsExactly(
                        "ABE", "ART", "BAS", "BLA", "EBO", "EOS", "FGC", "HAC", "KSC", "LYI", "LYT",
                        "MMZ", "MON", "MYB", "NGB", "NGS", "NIF", "OTH", "PEB", "PLM", "PMO");
    }

    @Test
    void everyMappingLandsOnAClassOfItsTarget() {
        for (String id : Vocabulary.BUILT_IN) {
            Vocabulary v = Vocabulary.builtIn(id);
            for (String target : v.targets()) {
                Vocabulary t = Vocabulary.builtIn(target);
                for (Vocabulary.Entry e : v.entries()) {
                    String to = e.maps().get(target);
                    if (to != null) {
                        assertThat(t.codes()).as("%s %s -> %s", id, e.code(), target).contains(to);
                    } else {
                        assertThat(e.note())
                                .as("%s %s has no %s class and says why", id, e.code(), target)
                                .isNotBlank();
                    }
                }
            }
        }
        assertThat(Vocabulary.builtIn("matek-2018-15").targets())
                .containsExactly("peripheral-5", "bone-marrow-21");
        assertThat(Vocabulary.builtIn("bone-marrow-21").targets())
                .containsExactly("peripheral-5", "matek-2018-15");
    }

    @Test
    void mapsToTheFivePartDifferentialWhereACounterpartExists() {
        Vocabulary matek = Vocabulary.builtIn("matek-2018-15");
        assertThat(matek.map("NGB", "peripheral-5")).contains("neutrophil");
        assertThat(matek.map("NGS", "peripheral-5")).contains("neutrophil");
        assertThat(matek.map("LYA", "peripheral-5")).contains("lymphocyte");
        assertThat(matek.map("MYO", "peripheral-5")).isEmpty();
        assertThat(matek.map("EBO", "peripheral-5")).isEmpty();
        assertThat(matek.map("MOB", "bone-marrow-21")).contains("BLA");
        Vocabulary bm = Vocabulary.builtIn("bone-marrow-21");
        assertThat(bm.map("ABE", "peripheral-5")).contains("eosinophil");
        assertThat(bm.map("BLA", "matek-2018-15")).isEmpty();
        // Where both directions map, the round trip comes home.
        for (Vocabulary.Entry e : matek.entries()) {
            Optional<String> there = matek.map(e.code(), "bone-marrow-21");
            if (there.isPresent() && bm.map(there.get(), "matek-2018-15").isPresent()) {
                String back = bm.map(there.get(), "matek-2018-15").get();
                if (!e.code().equals("LYA") && !e.code().equals("PMB")) {
                    assertThat(back).as(e.code()).isEqualTo(e.code());
                }
            }
        }
        assertThatThrownBy(
                        () -> Vocabulary.builtIn("peripheral-5").map("neutrophil", "matek-2018-15"))
                .hasMessageContaining("declares no mapping");
    }

    @Test
    void labelsMatchByCodeNameOrAliasIgnoringCaseAndSeparators() {
        Vocabulary matek = Vocabulary.builtIn("matek-2018-15");
        assertThat(matek.canonical("Band_Neutrophil")).isEqualTo("NGB");
        assertThat(matek.canonical("ngb")).isEqualTo("NGB");
        assertThat(matek.canonical("reactive-lymphocyte")).isEqualTo("LYA");
        assertThat(Vocabulary.builtIn("peripheral-5").canonical("Neutrophils"))
                .isEqualTo("neutrophil");
        assertThatThrownBy(() -> matek.canonical("platelet"))
                .hasMessageContaining("platelet")
                .hasMessageContaining("matek-2018-15");
    }

    @Test
    void aLabsOwnVocabularyLoadsFromAFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("lab.json");
        Files.writeString(
                f,
                "{\"format\":\"bloomstream-vocabulary/1\",\"id\":\"lab-3\",\"classes\":["
                        + "{\"code\":\"N\",\"name\":\"neutrophil\",\"maps\":{\"peripheral-5\":\"neutrophil\"}},"
                        + "{\"code\":\"L\",\"name\":\"lymphocyte\",\"maps\":{\"peripheral-5\":\"lymphocyte\"}},"
                        + "{\"code\":\"X\",\"name\":\"other\",\"maps\":{\"peripheral-5\":null},\"note\":\"n/a\"}]}");
        Vocabulary v = Vocabulary.resolve(f.toString());
        assertThat(v.id()).isEqualTo("lab-3");
        assertThat(v.map("neutrophil", "peripheral-5")).contains("neutrophil");
        assertThat(v.map("X", "peripheral-5")).isEmpty();
        Files.writeString(
                f,
                "{\"format\":\"bloomstream-vocabulary/1\",\"id\":\"dup\",\"classes\":["
                        + "{\"code\":\"A\",\"aliases\":[\"x\"]},{\"code\":\"B\",\"aliases\":[\"X\"]}]}");
        assertThatThrownBy(() -> Vocabulary.read(f)).hasMessageContaining("names both A and B");
        assertThatThrownBy(() -> Vocabulary.resolve("no-such-vocabulary"))
                .hasMessageContaining("peripheral-5");
    }
}
