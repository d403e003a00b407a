package org.bloomstream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import org.bloomstream.schemas.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keyed-HMAC pseudonyms: stable per key, different across keys, and strict about their key. */
class PseudonymsTest {

    private static Path key(Path dir, String name, int bytes, byte fill) throws Exception {
        byte[] k = new byte[bytes];
        Arrays.fill(k, fill);
        return Files.write(dir.resolve(name), k);
    }

    @Test
    void deterministicPerKeyAndUnlinkableAcrossKeys(@TempDir Path dir) throws Exception {
        Pseudonyms a = Pseudonyms.keyFile(key(dir, "a", 32, (byte) 1), Pseudonyms.OUTPUT_TOPICS);
        Pseudonyms a2 = Pseudonyms.keyFile(key(dir, "a2", 32, (byte) 1), Pseudonyms.OUTPUT_TOPICS);
        Pseudonyms b = Pseudonyms.keyFile(key(dir, "b", 32, (byte) 2), Pseudonyms.OUTPUT_TOPICS);

        String p = a.of("SPEC-0001");
        assertThat(p).matches("p-[0-9a-f]{32}").doesNotContain("SPEC");
        assertThat(a.of("SPEC-0001")).isEqualTo(p);
        assertThat(a2.of("SPEC-0001")).as("same key, same pseudonym").isEqualTo(p);
        assertThat(b.of("SPEC-0001")).as("another key").isNotEqualTo(p);
        assertThat(a.of("SPEC-0002")).isNotEqualTo(p);
        assertThat(a.of(null)).isNull();
        assertThat(a.toString()).doesNotContain(dir.toString());
    }

    @Test
    void onlyOutputTopicsAndOnlyStrongKeys(@TempDir Path dir) throws Exception {
        Path good = key(dir, "good", 32, (byte) 3);
        assertThat(
                        Pseudonyms.keyFile(good, Set.of(Topics.ALERTS_AML.name()))
                                .appliesTo(Topics.SPECIMEN_REPORTS.name()))
                .isFalse();
        assertThat(Pseudonyms.OFF.enabled()).isFalse();
        assertThatThrownBy(() -> Pseudonyms.keyFile(good, Set.of(Topics.CELLS_ACCEPTED.name())))
                .hasMessageContaining("only the job's outputs");
        assertThatThrownBy(
                        () ->
                                Pseudonyms.keyFile(
                                        key(dir, "short", 16, (byte) 4), Pseudonyms.OUTPUT_TOPICS))
                .hasMessageContaining("at least 32");
        assertThatThrownBy(
                        () -> Pseudonyms.keyFile(dir.resolve("missing"), Pseudonyms.OUTPUT_TOPICS))
                .hasMessageContaining("cannot read");
        assertThat(Pseudonyms.parseTopics("")).isEqualTo(Pseudonyms.OUTPUT_TOPICS);
    }
}
