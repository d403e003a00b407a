package org.bloomstream.ingest.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.bloomstream.ingest.TestImages;
import org.bloomstream.ingest.feed.CropSender;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP feed on loopback, against a {@link MockProducer} whose acknowledgements we control. */
class CropHttpServerTest {
    private static final String TOKEN = "s3cret-token";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MockProducer<byte[], byte[]> producer;
    private CropHttpServer server;
    private final byte[] jpeg = TestImages.encode(TestImages.rgb(40, 30), "jpeg");

    private void start(boolean autoAck, long budget, int maxCropBytes) throws Exception {
        producer =
                new MockProducer<>(
                        autoAck, null, new ByteArraySerializer(), new ByteArraySerializer());
        server =
                CropHttpServer.start(
                        new CropHttpServer.Options(
                                "127.0.0.1",
                                0,
                                TOKEN,
                                maxCropBytes,
                                4L * maxCropBytes,
                                "http-test",
                                8),
                        new CropSender(producer, budget));
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private HttpRequest.Builder post(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + TOKEN);
    }

    private HttpRequest.Builder crop(byte[] image) {
        return post("/v1/crops")
                .header("Content-Type", "image/jpeg")
                .header("X-Specimen-Id", "P-1")
                .header("X-Scan-Id", "P-1-s1")
                .POST(HttpRequest.BodyPublishers.ofByteArray(image));
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<CellCrop> crops() {
        return producer.history().stream()
                .filter(r -> r.topic().equals(Topics.CELLS_RAW.name()))
                .map(r -> Topics.CELLS_RAW.deserializeValue(r.value()))
                .toList();
    }

    @Test
    void aCropWithMetadataHeadersIsAnswered202OnceKafkaHasIt() throws Exception {
        start(true, 1 << 20, 1 << 20);
        HttpResponse<String> r =
                send(
                        crop(jpeg)
                                .header("X-Cell-Id", "P-1-c7")
                                .header("X-Scanner-Id", "cv-2")
                                .header("X-Capture-Time", "2026-02-03T10:00:00Z")
                                .header("X-Microns-Per-Pixel", "0.1")
                                .header("X-Reference-Label", "neutrophil"));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("cells").get(0).get("cellId").asText()).isEqualTo("P-1-c7");
        assertThat(body.get("cells").get(0).get("topic").asText()).isEqualTo("cells.raw");
        assertThat(producer.history())
                .singleElement()
                .satisfies(rec -> assertThat(new String(rec.key(), UTF_8)).isEqualTo("P-1"));
        CellCrop c = crops().get(0);
        assertThat(c.getCellId()).isEqualTo("P-1-c7");
        assertThat(c.getScanId()).isEqualTo("P-1-s1");
        assertThat(c.getScannerId()).isEqualTo("cv-2");
        assertThat(c.getCaptureTime()).isEqualTo(java.time.Instant.parse("2026-02-03T10:00:00Z"));
        assertThat(c.getMicronsPerPixel()).isEqualTo(0.1);
        assertThat(c.getReferenceLabel()).isEqualTo("neutrophil");
        assertThat(TestImages.bytes(c.getImage())).isEqualTo(jpeg);
        assertThat(server.cropsAcknowledged()).isEqualTo(1);
    }

    @Test
    void withoutACellIdARetriedUploadGetsTheSameIdSoTheGateDedupesIt() throws Exception {
        start(true, 1 << 20, 1 << 20);
        assertThat(send(crop(jpeg)).statusCode()).isEqualTo(202);
        assertThat(send(crop(jpeg)).statusCode()).isEqualTo(202);
        List<CellCrop> crops = crops();
        assertThat(crops.get(0).getCellId()).startsWith("sha256:").hasSize("sha256:".length() + 16);
        assertThat(crops.get(1).getCellId()).isEqualTo(crops.get(0).getCellId());
    }

    @Test
    void theBearerTokenIsRequiredExceptForTheHealthCheck() throws Exception {
        start(true, 1 << 20, 1 << 20);
        HttpRequest.Builder none =
                HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + server.port() + "/v1/crops"))
                        .header("X-Specimen-Id", "P-1")
                        .header("X-Scan-Id", "s")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(jpeg));
        HttpResponse<String> r = send(none);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).contains("Bearer");
        // the body was never read, so the server closes the connection and must say so, or a
        // pooled connection races that close on the next request
        assertThat(r.headers().firstValue("Connection")).contains("close");
        assertThat(send(crop(jpeg).setHeader("Authorization", "Bearer nope")).statusCode())
                .isEqualTo(401);
        assertThat(producer.history()).isEmpty();

        HttpResponse<String> health =
                client.send(
                        HttpRequest.newBuilder(
                                        URI.create(
                                                "http://127.0.0.1:" + server.port() + "/healthz"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
    }

    @Test
    void aRequestNoCropCanBeMadeOfIs400() throws Exception {
        start(true, 1 << 20, 1 << 20);
        HttpResponse<String> r =
                send(
                        post("/v1/crops")
                                .header("X-Scan-Id", "s")
                                .POST(HttpRequest.BodyPublishers.ofByteArray(jpeg)));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("X-Specimen-Id is required");
        assertThat(send(crop(jpeg).header("X-Capture-Time", "yesterday")).statusCode())
                .isEqualTo(400);
        assertThat(send(post("/v1/nothing").POST(HttpRequest.BodyPublishers.noBody())).statusCode())
                .isEqualTo(404);
        assertThat(send(post("/v1/crops").GET()).statusCode()).isEqualTo(405);
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void anImageOverTheSizeLimitIs413() throws Exception {
        start(true, 1 << 20, 4096);
        HttpResponse<String> r = send(crop(new byte[4097]));
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(send(crop(new byte[4096])).statusCode()).isEqualTo(202);

        String boundary = "----b";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        field(body, boundary, "specimenId", "P-9");
        field(body, boundary, "scanId", "P-9-s1");
        file(body, boundary, "big.jpg", new byte[5000]);
        body.write(("--" + boundary + "--\r\n").getBytes(UTF_8));
        HttpResponse<String> m =
                send(
                        post("/v1/crops")
                                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
        assertThat(m.statusCode()).as(m.body()).isEqualTo(413);
        assertThat(crops()).hasSize(1);
    }

    @Test
    void aFullProducerBufferIsAnswered429UntilKafkaCatchesUp() throws Exception {
        start(false, 3 * jpeg.length / 2, 1 << 20);
        CompletableFuture<HttpResponse<String>> first =
                client.sendAsync(crop(jpeg).build(), HttpResponse.BodyHandlers.ofString());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (producer.history().isEmpty() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(producer.history()).hasSize(1);
        assertThat(first).isNotDone(); // no answer before the broker's ack

        HttpResponse<String> second = send(crop(jpeg));
        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(second.headers().firstValue("Retry-After")).contains("1");
        assertThat(server.throttled()).isEqualTo(1);

        assertThat(producer.completeNext()).isTrue();
        assertThat(first.get().statusCode()).isEqualTo(202);
        CompletableFuture<HttpResponse<String>> third =
                client.sendAsync(crop(jpeg).build(), HttpResponse.BodyHandlers.ofString());
        deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (producer.history().size() < 2 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(producer.completeNext()).isTrue();
        assertThat(third.get().statusCode()).isEqualTo(202);
    }

    @Test
    void aCropKafkaRefusesAsTooLargeIs413WithTheReason() throws Exception {
        start(false, 1 << 20, 1 << 20);
        CompletableFuture<HttpResponse<String>> r =
                client.sendAsync(
                        crop(jpeg).header("X-Cell-Id", "big-1").build(),
                        HttpResponse.BodyHandlers.ofString());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (producer.history().isEmpty() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        producer.errorNext(new RecordTooLargeException("The message is too large"));
        assertThat(r.get().statusCode()).isEqualTo(413);
        assertThat(r.get().body()).contains("crop big-1").contains("max.message.bytes");
    }

    @Test
    void multipartCarriesFieldsAndSeveralFiles() throws Exception {
        start(true, 1 << 20, 1 << 20);
        String boundary = "----bloomstream-test";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        field(body, boundary, "specimenId", "P-9");
        field(body, boundary, "scanId", "P-9-s1");
        field(body, boundary, "micronsPerPixel", "0.12");
        file(body, boundary, "cell_1.jpg", jpeg);
        file(body, boundary, "cell_2.png", TestImages.png(20, 20));
        body.write(("--" + boundary + "--\r\n").getBytes(UTF_8));
        HttpResponse<String> r =
                send(
                        post("/v1/crops")
                                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));

        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        // Ids from the bytes, not the file names: a later request's cell_1.jpg is another cell.
        assertThat(crops())
                .extracting(CellCrop::getCellId)
                .containsExactly(
                        "sha256:" + CropHttpServer.sha256Prefix(jpeg),
                        "sha256:" + CropHttpServer.sha256Prefix(TestImages.png(20, 20)));
        assertThat(crops())
                .allSatisfy(
                        c -> {
                            assertThat(c.getSpecimenId()).isEqualTo("P-9");
                            assertThat(c.getMicronsPerPixel()).isEqualTo(0.12);
                        });
        assertThat(TestImages.bytes(crops().get(0).getImage())).isEqualTo(jpeg);
    }

    @Test
    void scanEventsFrameAScan() throws Exception {
        start(true, 1 << 20, 1 << 20);
        HttpRequest.Builder started =
                post("/v1/scans/started")
                        .header("X-Specimen-Id", "P-1")
                        .header("X-Scan-Id", "s1")
                        .POST(HttpRequest.BodyPublishers.noBody());
        assertThat(send(started).statusCode()).isEqualTo(202);
        HttpRequest.Builder noCount =
                post("/v1/scans/finished")
                        .header("X-Specimen-Id", "P-1")
                        .header("X-Scan-Id", "s1")
                        .POST(HttpRequest.BodyPublishers.noBody());
        assertThat(send(noCount).statusCode()).isEqualTo(400);
        assertThat(send(noCount.header("X-Expected-Cells", "540")).statusCode()).isEqualTo(202);

        List<ScanEvent> events =
                producer.history().stream()
                        .map(rec -> Topics.SCAN_EVENTS.deserializeValue(rec.value()))
                        .toList();
        assertThat(events)
                .extracting(ScanEvent::getType)
                .containsExactly(ScanEventType.STARTED, ScanEventType.FINISHED);
        assertThat(events.get(1).getExpectedCells()).isEqualTo(540);
        assertThat(events.get(1).getScannerId()).isEqualTo("http-test");
    }

    @Test
    void twoFilesWithTheSameNameInOneRequestAre400BeforeAnythingIsProduced() throws Exception {
        // Issue 20, defect 4: both got 202, then one was dead-lettered as a duplicate.
        start(true, 1 << 20, 1 << 20);
        String boundary = "----bloomstream-test";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        field(body, boundary, "specimenId", "P-9");
        field(body, boundary, "scanId", "P-9-s1");
        file(body, boundary, "cell_1.jpg", jpeg);
        file(body, boundary, "cell_1.jpg", TestImages.png(20, 20));
        body.write(("--" + boundary + "--\r\n").getBytes(UTF_8));
        HttpResponse<String> r =
                send(
                        post("/v1/crops")
                                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("same file name");
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void aDuplicatedIdHeaderOrAHeaderThatDisagreesWithItsFormFieldIs400() throws Exception {
        // Issue 20, defect 3: with two X-Specimen-Id headers the first silently won.
        start(true, 1 << 20, 1 << 20);
        HttpResponse<String> r = send(crop(jpeg).header("X-Specimen-Id", "P-2"));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("X-Specimen-Id is given 2 times");

        String boundary = "----bloomstream-test";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        field(body, boundary, "specimenId", "P-9");
        field(body, boundary, "scanId", "P-9-s1");
        file(body, boundary, "cell_1.jpg", jpeg);
        body.write(("--" + boundary + "--\r\n").getBytes(UTF_8));
        r =
                send(
                        post("/v1/crops")
                                .header("X-Specimen-Id", "P-8")
                                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("disagree");
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void errorBodiesCarryNoJavaClassNames() throws Exception {
        // Issue 20, defect 5: Kafka's exception class names reached the client.
        start(false, 1 << 20, 1 << 20);
        CompletableFuture<HttpResponse<String>> r =
                client.sendAsync(crop(jpeg).build(), HttpResponse.BodyHandlers.ofString());
        while (producer.history().isEmpty()) {
            Thread.sleep(10);
        }
        producer.errorNext(
                new org.apache.kafka.common.errors.TimeoutException(
                        "Topic cells.raw not present in metadata after 60000 ms."));
        assertThat(r.get().statusCode()).isEqualTo(503);
        assertThat(r.get().body()).contains("not present in metadata").doesNotContain("org.apache");
    }

    @Test
    void malformedMultipartBodiesAre400WithoutJavaClassNames() throws Exception {
        // Issue 20, defect 5: on 99b1b3b these answered "malformed multipart request:
        // java.io.EOFException: unexpected EOF in HEADER_VALUE" and the like.
        start(true, 1 << 20, 1 << 20);
        String[][] probes = {
            {
                "multipart/form-data; boundary=xyz",
                "--xyz\r\nContent-Disposition: form-data; name=\"a\""
            },
            {"multipart/form-data", "--xyz\r\n\r\nx\r\n--xyz--\r\n"},
            {"multipart/form-data; boundary=xyz", "garbage without any boundary"},
        };
        for (String[] probe : probes) {
            HttpResponse<String> r =
                    send(
                            post("/v1/crops")
                                    .header("Content-Type", probe[0])
                                    .POST(HttpRequest.BodyPublishers.ofString(probe[1])));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
            assertThat(r.body())
                    .doesNotContain("org.eclipse")
                    .doesNotContain("org.apache")
                    .doesNotContain("java.")
                    .doesNotContain("Exception");
        }
        assertThat(producer.history()).isEmpty();
    }

    private static void field(
            ByteArrayOutputStream out, String boundary, String name, String value) {
        out.writeBytes(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\""
                                + name
                                + "\"\r\n\r\n"
                                + value
                                + "\r\n")
                        .getBytes(UTF_8));
    }

    private static void file(
            ByteArrayOutputStream out, String boundary, String name, byte[] bytes) {
        out.writeBytes(
                ("--"
                                + boundary
                                + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\""
                                + name
                                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                        .getBytes(UTF_8));
        out.writeBytes(bytes);
        out.writeBytes("\r\n".getBytes(UTF_8));
    }
}
