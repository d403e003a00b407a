package org.bloomstream.ingest.http;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.bloomstream.ingest.RawHttp;
import org.bloomstream.ingest.TestImages;
import org.bloomstream.ingest.feed.CropSender;
import org.bloomstream.ingest.feed.Readiness;
import org.bloomstream.ingest.metrics.IngestMetrics;
import org.bloomstream.schemas.ids.IdRules;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, defect 2: forty connections sending a body at 1 byte/s stopped {@code /healthz} and
 * every upload until the idle timeout, each holding a request thread. Bodies are now read
 * asynchronously, so on a fixed pool of 8 threads the forty hold none (shown with the minimum data
 * rate off, so that they stay); the read deadline then ends them with 408, and Jetty's minimum data
 * rate ends such a client at its first reads.
 */
class SlowClientTest {
    private static final String TOKEN = "t0ken";
    private static final int SLOW = 40;

    @Test
    void fortySlowUploadsOnAFixedPoolLeaveHealthAndFreshUploadsAnsweringWithinOneSecond()
            throws Exception {
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(
                        true, null, new ByteArraySerializer(), new ByteArraySerializer());
        CropHttpServer.Options options =
                new CropHttpServer.Options("127.0.0.1", 0, TOKEN, 1 << 20, 1 << 22, "t", 8)
                        .withSlowClientLimits(0, Duration.ofSeconds(5));
        List<Socket> slow = new ArrayList<>();
        try (CropHttpServer server =
                CropHttpServer.start(
                        options,
                        new CropSender(producer, 1 << 24),
                        IngestMetrics.bare(),
                        Readiness.ALWAYS)) {
            for (int i = 0; i < SLOW; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                s.setSoTimeout(30_000);
                s.getOutputStream()
                        .write(
                                ("POST /v1/crops HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                + "Authorization: Bearer "
                                                + TOKEN
                                                + "\r\n"
                                                + "X-Specimen-Id: SLOW-"
                                                + i
                                                + "\r\n"
                                                + "X-Scan-Id: s\r\nContent-Length: 100000\r\n\r\nx")
                                        .getBytes(US_ASCII));
                s.getOutputStream().flush();
                slow.add(s);
            }
            // Every slow request must be in the handler, waiting for its body, before we probe.
            long until = System.nanoTime() + 30_000_000_000L;
            while (server.bodiesReading() < SLOW && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertThat(server.bodiesReading()).as("slow bodies being read").isEqualTo(SLOW);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
            URI base = URI.create("http://127.0.0.1:" + server.port());
            for (int round = 0; round < 3; round++) {
                // a byte now and then, as the probe's clients did
                for (Socket s : slow) {
                    s.getOutputStream().write('x');
                }
                long t0 = System.nanoTime();
                HttpResponse<String> health =
                        http.send(
                                HttpRequest.newBuilder(base.resolve("/healthz"))
                                        .timeout(Duration.ofSeconds(1))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                long healthMs = (System.nanoTime() - t0) / 1_000_000;
                t0 = System.nanoTime();
                HttpResponse<String> upload =
                        http.send(
                                HttpRequest.newBuilder(base.resolve("/v1/crops"))
                                        .timeout(Duration.ofSeconds(1))
                                        .header("Authorization", "Bearer " + TOKEN)
                                        .header("X-Specimen-Id", "FRESH")
                                        .header("X-Scan-Id", "s")
                                        .header("X-Cell-Id", "c-" + round)
                                        .POST(
                                                HttpRequest.BodyPublishers.ofByteArray(
                                                        TestImages.png(20, 20)))
                                        .build(),
                                HttpResponse.BodyHandlers.ofString());
                long uploadMs = (System.nanoTime() - t0) / 1_000_000;
                System.out.printf(
                        "slow clients %d: /healthz %d ms, fresh upload %d ms%n",
                        SLOW, healthMs, uploadMs);
                assertThat(health.statusCode()).isEqualTo(200);
                assertThat(upload.statusCode()).as(upload.body()).isEqualTo(202);
                assertThat(healthMs).isLessThan(1000);
                assertThat(uploadMs).isLessThan(1000);
                Thread.sleep(300);
            }
            // The slow ones are ended by the read deadline, not left waiting for the idle timeout.
            RawHttp.Answer a = RawHttp.read(slow.get(0).getInputStream());
            assertThat(a.status()).isEqualTo(408);
            assertThat(a.body()).doesNotContain("Exception");
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    void aBodyBelowTheMinimumDataRateIsEndedWith408() throws Exception {
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(
                        true, null, new ByteArraySerializer(), new ByteArraySerializer());
        try (CropHttpServer server =
                        CropHttpServer.start(
                                CropHttpServer.Options.defaults(0, TOKEN),
                                new CropSender(producer, 1 << 24));
                Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(20_000);
            long t0 = System.nanoTime();
            s.getOutputStream()
                    .write(
                            ("POST /v1/crops HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                            + "Authorization: Bearer "
                                            + TOKEN
                                            + "\r\n"
                                            + "X-Specimen-Id: P\r\nX-Scan-Id: s\r\n"
                                            + "Content-Length: 100000\r\n\r\nx")
                                    .getBytes(US_ASCII));
            for (int i = 0; i < 3; i++) {
                Thread.sleep(400);
                try {
                    s.getOutputStream().write('x');
                } catch (java.io.IOException closed) {
                    break;
                }
            }
            RawHttp.Answer a = RawHttp.read(s.getInputStream());
            System.out.printf(
                    "1 byte/s client ended after %d ms: %d%n",
                    (System.nanoTime() - t0) / 1_000_000, a.status());
            assertThat(a.status()).isEqualTo(408);
            assertThat(producer.history()).isEmpty();
        }
    }

    @Test
    void readinessIs503AndUploadsAreRefusedAtOnceWhileKafkaCannotBeReached() throws Exception {
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(
                        false, null, new ByteArraySerializer(), new ByteArraySerializer());
        String[] state = {"Kafka cannot be reached"};
        try (CropHttpServer server =
                CropHttpServer.start(
                        CropHttpServer.Options.defaults(0, TOKEN).withIdRules(IdRules.DEFAULT),
                        new CropSender(producer, 1 << 24),
                        IngestMetrics.bare(),
                        () -> state[0])) {
            HttpClient http = HttpClient.newHttpClient();
            URI base = URI.create("http://127.0.0.1:" + server.port());
            HttpResponse<String> ready =
                    http.send(
                            HttpRequest.newBuilder(base.resolve("/readyz")).build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("Kafka cannot be reached");
            assertThat(
                            http.send(
                                            HttpRequest.newBuilder(base.resolve("/healthz"))
                                                    .build(),
                                            HttpResponse.BodyHandlers.ofString())
                                    .statusCode())
                    .as("alive, though not ready")
                    .isEqualTo(200);
            long t0 = System.nanoTime();
            HttpResponse<String> upload =
                    http.send(
                            HttpRequest.newBuilder(base.resolve("/v1/crops"))
                                    .header("Authorization", "Bearer " + TOKEN)
                                    .header("X-Specimen-Id", "P")
                                    .header("X-Scan-Id", "s")
                                    .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1}))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(upload.statusCode()).isEqualTo(503);
            assertThat(upload.headers().firstValue("Retry-After")).isPresent();
            assertThat(System.nanoTime() - t0).isLessThan(2_000_000_000L);
            assertThat(producer.history()).isEmpty();

            state[0] = null;
            assertThat(
                            http.send(
                                            HttpRequest.newBuilder(base.resolve("/readyz")).build(),
                                            HttpResponse.BodyHandlers.ofString())
                                    .statusCode())
                    .isEqualTo(200);
        }
    }
}
