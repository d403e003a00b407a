package org.bloomstream.ingest.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The metrics port of the commands without an HTTP feed ({@code ingest gate|watch}). */
class MetricsHttpServerTest {
    @Test
    void servesTheRegistryAtMetricsAndNothingElse() throws Exception {
        IngestMetrics metrics = IngestMetrics.bare();
        metrics.crops("watch", "sent").increment(3);
        try (MetricsHttpServer server = MetricsHttpServer.start("127.0.0.1", 0, metrics)) {
            HttpResponse<String> r = PrometheusText.get(server.port());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type").orElse(""))
                    .isEqualTo(IngestMetrics.CONTENT_TYPE);
            assertThat(
                            PrometheusText.value(
                                    PrometheusText.parse(r.body()),
                                    "bloomstream_ingest_crops_total",
                                    "stage",
                                    "watch",
                                    "outcome",
                                    "sent"))
                    .isEqualTo(3);

            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + server.port();
            assertThat(get(http, base + "/healthz").statusCode()).isEqualTo(200);
            assertThat(get(http, base + "/v1/crops").statusCode()).isEqualTo(404);
            HttpResponse<String> post =
                    http.send(
                            HttpRequest.newBuilder(URI.create(base + "/metrics"))
                                    .POST(HttpRequest.BodyPublishers.noBody())
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
