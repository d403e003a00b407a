package org.bloomstream.ingest.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.ScannerDrift;
import org.junit.jupiter.api.Test;

/** The live view keeps each scanner's latest drift record, read from scanners.drift. */
class LiveViewDriftTest {

    private static ScannerDrift drift(String scanner, long seen, double mmd2, boolean alert) {
        return ScannerDrift.newBuilder()
                .setScannerId(scanner)
                .setHeadModelId("h")
                .setCellsSeen(seen)
                .setWindowCells(64)
                .setLastCaptureTime(Instant.ofEpochMilli(1_000 + seen))
                .setMmd2(mmd2)
                .setMmd2Unadjusted(mmd2 * 2)
                .setMmd2Threshold(0.02)
                .setSimilarityDrop(null)
                .setUnknownRate(0.01)
                .setReferenceUnknownRate(0.014)
                .setAlert(alert)
                .setReason(alert ? "scanner " + scanner + " drifted" : null)
                .build();
    }

    @Test
    void showsTheLatestRecordOfEachScannerSortedById() {
        LiveView view = new LiveView();
        assertThat(LiveView.topics()).contains(Topics.SCANNERS_DRIFT.name());
        view.accept(
                Topics.SCANNERS_DRIFT.name(),
                Topics.SCANNERS_DRIFT.serializeValue(drift("s2", 64, 0.001, false)));
        view.accept(
                Topics.SCANNERS_DRIFT.name(),
                Topics.SCANNERS_DRIFT.serializeValue(drift("s2", 128, 0.05, true)));
        // an older record arriving late (another partition's order) does not win
        view.accept(
                Topics.SCANNERS_DRIFT.name(),
                Topics.SCANNERS_DRIFT.serializeValue(drift("s2", 64, 0.001, false)));
        view.onDrift(drift("s1", 64, -0.002, false));

        JsonNode scanners = view.snapshot().get("scanners");
        assertThat(scanners).hasSize(2);
        assertThat(scanners.get(0).get("scannerId").asText()).isEqualTo("s1");
        assertThat(scanners.get(0).get("alert").asBoolean()).isFalse();
        JsonNode s2 = scanners.get(1);
        assertThat(s2.get("scannerId").asText()).isEqualTo("s2");
        assertThat(s2.get("alert").asBoolean()).isTrue();
        assertThat(s2.get("mmd2").asDouble()).isEqualTo(0.05);
        assertThat(s2.get("reason").asText()).contains("s2");
        assertThat(s2.has("similarityDrop")).isFalse();

        view.clear();
        assertThat(view.snapshot().get("scanners")).isEmpty();
    }
}
