package org.bloomstream.devkit.synthetic;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.test.TestRecord;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.ingest.gate.GateConfig;
import org.bloomstream.ingest.gate.GateHarness;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The synthetic scanner's feed through the real gate topology: its defects end where they say. */
class SyntheticFeedThroughGateTest {
    private GateHarness gate;

    @BeforeEach
    void start() {
        gate = new GateHarness(GateConfig.DEFAULT);
    }

    @AfterEach
    void stop() {
        gate.close();
    }

    private static byte[] key(String specimen) {
        return specimen == null ? null : specimen.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void syntheticScannerFeedEndsWhereItsDefectsSay() {
        SyntheticScanner scanner =
                new SyntheticScanner(
                        new SyntheticScanner.Config(
                                5, 3, 40, 48, 0.4, 2, Instant.parse("2026-01-01T00:00:00Z"), 10));
        Map<String, String> expectedByCell = new HashMap<>();
        Map<Long, String> expectedByOffset = new HashMap<>();
        Set<Emission.Defect> seen = EnumSet.noneOf(Emission.Defect.class);
        for (Emission e : scanner) {
            if (e.type() != Emission.Type.CROP && e.type() != Emission.Type.BAD_CROP) {
                continue;
            }
            byte[] value =
                    e.rawValue() != null ? e.rawValue() : Topics.CELLS_RAW.serializeValue(e.crop());
            long offset = gate.send(key(e.specimenId()), value);
            String expected;
            if (e.type() == Emission.Type.CROP) {
                expected = "ACCEPTED";
            } else {
                seen.add(e.defect());
                expected =
                        switch (e.defect()) {
                            case EMPTY_IMAGE -> "EMPTY_IMAGE";
                            // header intact, but no end-of-image marker
                            case TRUNCATED_JPEG -> "UNDECODABLE_IMAGE";
                            case NOT_AN_IMAGE -> "UNDECODABLE_IMAGE";
                            case NOT_AVRO -> "BAD_SCHEMA";
                        };
            }
            expectedByCell.put(e.cellId(), expected);
            expectedByOffset.put(offset, expected);
        }
        assertThat(seen).as("precondition: every defect occurs").hasSize(4);

        List<TestRecord<String, CellCrop>> accepted = gate.accepted();
        List<TestRecord<String, DeadLetter>> dead = gate.dead();
        assertThat(accepted.size() + dead.size()).isEqualTo(expectedByOffset.size());
        for (TestRecord<String, CellCrop> r : accepted) {
            assertThat(expectedByCell.get(r.value().getCellId()))
                    .as(r.value().getCellId())
                    .isEqualTo("ACCEPTED");
            assertThat(r.key()).isEqualTo(r.value().getSpecimenId());
            assertThat(r.value().getWidth()).isEqualTo(48);
        }
        for (TestRecord<String, DeadLetter> r : dead) {
            DeadLetter d = r.value();
            assertThat(expectedByOffset.get(d.getSourceOffset()))
                    .as("offset %d", d.getSourceOffset())
                    .isEqualTo(d.getReason().name());
            // every synthetic record is keyed by its specimen, so every loss is attributed
            assertThat(d.getSpecimenId()).isNotNull().isEqualTo(r.key());
            if (d.getReason() != DeadLetterReason.BAD_SCHEMA) {
                assertThat(expectedByCell.get(d.getCellId())).isEqualTo(d.getReason().name());
            }
        }
    }
}
