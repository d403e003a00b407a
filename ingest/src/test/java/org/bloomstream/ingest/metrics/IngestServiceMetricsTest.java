package org.bloomstream.ingest.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.streams.KafkaStreams;
import org.bloomstream.ingest.RealBroker;
import org.bloomstream.ingest.TestImages;
import org.bloomstream.ingest.feed.CropSender;
import org.bloomstream.ingest.gate.GateConfig;
import org.bloomstream.ingest.gate.IngestGate;
import org.bloomstream.ingest.http.CropHttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ingest service as {@code ingest serve --with-gate} runs it (the HTTP feed and the gate in one
 * JVM, one registry) on a real broker: {@code /metrics} on the feed's port carries the feed's and
 * the gate's series, and they move as crops go through.
 */
class IngestServiceMetricsTest {
    private static final String TOKEN = "metrics-test-token";
    private static final String CROPS = "bloomstream_ingest_crops_total";

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void metricsOnTheFeedPortCountTheFeedAndTheGate(@TempDir Path dir) throws Exception {
        byte[] jpeg = TestImages.encode(TestImages.rgb(40, 30), "jpeg");
        try (RealBroker broker = RealBroker.start(dir, 2, null);
                IngestMetrics metrics = IngestMetrics.create();
                CropSender sender = CropSender.connect(broker.bootstrapServers(), 8L << 20);
                CropHttpServer server =
                        CropHttpServer.start(
                                CropHttpServer.Options.defaults(0, TOKEN), sender, metrics)) {
            KafkaStreams gate =
                    IngestGate.start(
                            GateConfig.DEFAULT,
                            IngestGate.streamsConfig(
                                    broker.bootstrapServers(),
                                    "gate-metrics-" + UUID.randomUUID(),
                                    dir.resolve("gate")),
                            Duration.ofSeconds(60),
                            metrics);
            port = server.port();
            try {
                HttpResponse<String> first = PrometheusText.get(server.port());
                assertThat(first.statusCode()).as("no token needed to scrape").isEqualTo(200);
                assertThat(first.headers().firstValue("Content-Type").orElse(""))
                        .startsWith("text/plain");
                Map<String, Double> before = PrometheusText.parse(first.body());
                assertThat(PrometheusText.value(before, CROPS, "stage", "http", "outcome", "sent"))
                        .isZero();
                assertThat(
                                PrometheusText.value(
                                        before, CROPS, "stage", "gate", "outcome", "accepted"))
                        .isZero();
                assertThat(before.keySet())
                        .as("the JVM's and the gate's Kafka Streams metrics")
                        .anyMatch(k -> k.startsWith("jvm_memory_used_bytes"))
                        .anyMatch(k -> k.startsWith("kafka_stream_"))
                        .anyMatch(k -> k.startsWith("bloomstream_ingest_in_flight_bytes"));

                for (int i = 1; i <= 4; i++) {
                    assertThat(post("M-1-c" + i, jpeg)).isEqualTo(202);
                }
                assertThat(post("M-1-c1", jpeg)).as("a resend").isEqualTo(202);
                assertThat(post("M-1-c5", Arrays.copyOf(jpeg, 100))).isEqualTo(202);

                // Poll on every series asserted below, not only on the gate's decisions: the
                // gate counts a decision before it records its validation time, and the HTTP
                // timer records a request once its answer is written, after the client has it.
                Map<String, Double> after = before;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (orZero(after, CROPS, "stage", "gate") < 6
                        || orZero(after, "bloomstream_ingest_gate_validation_seconds_count") < 6
                        || orZero(
                                        after,
                                        "bloomstream_ingest_http_requests_seconds_count",
                                        "endpoint",
                                        "crops",
                                        "status",
                                        "202")
                                < 6) {
                    assertThat(System.nanoTime())
                            .as("the gate decided and timed all six; the feed timed all six")
                            .isLessThan(deadline);
                    Thread.sleep(100);
                    after = PrometheusText.scrape(server.port());
                }
                assertThat(PrometheusText.value(after, CROPS, "stage", "http", "outcome", "sent"))
                        .isEqualTo(6);
                assertThat(
                                PrometheusText.value(
                                        after, CROPS, "stage", "gate", "outcome", "accepted"))
                        .isEqualTo(4);
                assertThat(
                                PrometheusText.value(
                                        after, CROPS, "stage", "gate", "outcome", "duplicate_cell"))
                        .isEqualTo(1);
                assertThat(
                                PrometheusText.value(
                                        after,
                                        CROPS,
                                        "stage",
                                        "gate",
                                        "outcome",
                                        "undecodable_image"))
                        .isEqualTo(1);
                assertThat(
                                PrometheusText.value(
                                        after,
                                        "bloomstream_ingest_http_requests_seconds_count",
                                        "endpoint",
                                        "crops",
                                        "status",
                                        "202"))
                        .isEqualTo(6);
                assertThat(
                                PrometheusText.value(
                                        after, "bloomstream_ingest_gate_validation_seconds_count"))
                        .isEqualTo(6);
            } finally {
                gate.close(Duration.ofSeconds(10));
            }
        }
    }

    private int port;

    /** The series' value, 0 while it is not exported yet. */
    private static double orZero(Map<String, Double> series, String name, String... labels) {
        try {
            return PrometheusText.value(series, name, labels);
        } catch (IllegalArgumentException notYet) {
            return 0;
        }
    }

    private int post(String cellId, byte[] image) throws Exception {
        return http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/crops"))
                                .header("Authorization", "Bearer " + TOKEN)
                                .header("Content-Type", "image/jpeg")
                                .header("X-Specimen-Id", "M-1")
                                .header("X-Scan-Id", "M-1-s1")
                                .header("X-Cell-Id", cellId)
                                .timeout(Duration.ofSeconds(20))
                                .POST(HttpRequest.BodyPublishers.ofByteArray(image))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }
}
