package org.bloomstream.ingest.gate;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.bloomstream.ingest.TestImages;
import org.bloomstream.ingest.metrics.IngestMetrics;
import org.bloomstream.ingest.metrics.PrometheusText;
import org.junit.jupiter.api.Test;

/** The gate counts every decision, by outcome, and times its validation. */
class GateMetricsTest {

    @Test
    void everyDecisionIsCountedUnderItsOutcome() {
        IngestMetrics metrics = IngestMetrics.bare();
        byte[] key = "G-1".getBytes(UTF_8);
        byte[] jpeg = TestImages.encode(TestImages.rgb(40, 30), "jpeg");
        try (GateHarness gate = new GateHarness(GateConfig.DEFAULT, true, metrics)) {
            Map<String, Double> before = PrometheusText.parse(metrics.scrape());
            // every outcome is exported before it first happens, so rates start at zero
            assertThat(
                            PrometheusText.value(
                                    before,
                                    "bloomstream_ingest_crops_total",
                                    "stage",
                                    "gate",
                                    "outcome",
                                    "duplicate_cell"))
                    .isZero();

            gate.send(key, IngestGateBrokerTest.crop("G-1-c1", "G-1", jpeg));
            gate.send(key, IngestGateBrokerTest.crop("G-1-c2", "G-1", jpeg));
            gate.send(key, IngestGateBrokerTest.crop("G-1-c1", "G-1", jpeg)); // a resend
            gate.send(key, IngestGateBrokerTest.crop("G-1-c3", "G-1", new byte[0]));
            gate.send(key, "not avro".getBytes(UTF_8));
            assertThat(gate.accepted()).hasSize(2);
            assertThat(gate.dead()).hasSize(3);
        }
        Map<String, Double> after = PrometheusText.parse(metrics.scrape());
        String crops = "bloomstream_ingest_crops_total";
        assertThat(PrometheusText.value(after, crops, "stage", "gate", "outcome", "accepted"))
                .isEqualTo(2);
        assertThat(PrometheusText.value(after, crops, "stage", "gate", "outcome", "duplicate_cell"))
                .isEqualTo(1);
        assertThat(PrometheusText.value(after, crops, "stage", "gate", "outcome", "empty_image"))
                .isEqualTo(1);
        assertThat(PrometheusText.value(after, crops, "stage", "gate", "outcome", "bad_schema"))
                .isEqualTo(1);
        assertThat(PrometheusText.value(after, crops, "stage", "gate")).isEqualTo(5);
        assertThat(PrometheusText.value(after, "bloomstream_ingest_gate_validation_seconds_count"))
                .isEqualTo(5);
        assertThat(PrometheusText.value(after, "bloomstream_ingest_gate_validation_seconds_sum"))
                .isPositive();
        assertThat(after.keySet())
                .anyMatch(k -> k.startsWith("bloomstream_ingest_gate_validation_seconds_bucket{"));
    }
}
