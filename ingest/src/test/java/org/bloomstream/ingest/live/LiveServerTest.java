package org.bloomstream.ingest.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.imageio.ImageIO;
import org.bloomstream.ingest.RawHttp;
import org.bloomstream.ingest.TestImages;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.AttendedCells;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.CloseReason;
import org.bloomstream.schemas.avro.LabelProbability;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;
import org.bloomstream.schemas.avro.SpecimenPhase;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.avro.SpecimenStatus;
import org.bloomstream.schemas.avro.TypeCount;
import org.junit.jupiter.api.Test;

/**
 * The view built from topic records, and the page's HTTP surface: JSON, thumbnails, errors and
 * headers. The browser test (app, {@code LivePageBrowserTest}) checks the page itself in a demo.
 */
class LiveServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void openSpecimenShowsProgressProbabilitiesAndThumbnailsThenItsReport() throws Exception {
        LiveView view = new LiveView(LiveView.Limits.DEFAULT, Clock.systemUTC());
        view.accept(Topics.SCAN_EVENTS.name(), Topics.SCAN_EVENTS.serializeValue(scan()));
        for (int i = 0; i < 4; i++) {
            view.accept(
                    Topics.CELLS_ACCEPTED.name(), Topics.CELLS_ACCEPTED.serializeValue(crop(i)));
        }
        view.accept(Topics.SPECIMEN_STATUS.name(), Topics.SPECIMEN_STATUS.serializeValue(status()));
        view.accept(Topics.CELLS_CLASSIFIED.name(), new byte[] {1, 2, 3}); // unreadable: skipped

        try (LiveServer server = LiveServer.start("127.0.0.1", 0, view, null)) {
            HttpResponse<String> page = get(server, "/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type").orElse(""))
                    .startsWith("text/html");
            assertThat(page.headers().firstValue("Content-Security-Policy").orElse(""))
                    .contains("default-src 'none'")
                    .contains("script-src 'self'");
            assertThat(page.body()).contains("live.js").contains("id=\"specimens\"");
            assertThat(get(server, "/live.js").body()).contains("api/live");

            JsonNode live = JSON.readTree(get(server, "/api/live").body());
            assertThat(live.at("/counts/open").asInt()).isEqualTo(1);
            assertThat(live.at("/counts/skippedRecords").asInt()).isEqualTo(1);
            JsonNode s = live.at("/specimens/0");
            assertThat(s.get("id").asText()).isEqualTo("S-1");
            assertThat(s.get("phase").asText()).isEqualTo("SCAN_FINISHED");
            assertThat(s.get("expected").asInt()).isEqualTo(10);
            assertThat(s.get("progress").asDouble()).isEqualTo(0.4);
            assertThat(s.get("call").asText()).isEqualTo("APL");
            assertThat(s.get("callProbability").asDouble()).isCloseTo(0.7, within());
            assertThat(s.at("/differential/0/type").asText()).isEqualTo("promyelocyte");
            assertThat(s.at("/topAttended/0/cells").size()).isEqualTo(2);
            assertThat(s.at("/topAttended/0/cells/0/thumbnail").asBoolean()).isTrue();

            HttpResponse<byte[]> thumb =
                    getBytes(server, "/api/thumbnail?specimen=S-1&cell=" + enc("S-1/c 0"));
            assertThat(thumb.statusCode()).isEqualTo(200);
            assertThat(thumb.headers().firstValue("Content-Type").orElse(""))
                    .isEqualTo("image/jpeg");
            var img = ImageIO.read(new ByteArrayInputStream(thumb.body()));
            assertThat(Math.max(img.getWidth(), img.getHeight()))
                    .isEqualTo(LiveView.Limits.DEFAULT.thumbnailEdge());
            assertThat(
                            getBytes(server, "/api/thumbnail?specimen=S-1&cell=" + enc("S-1/c 3"))
                                    .statusCode())
                    .as("not among the most attended: no thumbnail")
                    .isEqualTo(404);
            assertThat(get(server, "/api/thumbnail").statusCode()).isEqualTo(400);

            // The report closes the specimen and keeps its final thumbnails.
            view.accept(
                    Topics.SPECIMEN_REPORTS.name(),
                    Topics.SPECIMEN_REPORTS.serializeValue(report()));
            live = JSON.readTree(get(server, "/api/live").body());
            assertThat(live.at("/counts/open").asInt()).isZero();
            assertThat(live.at("/counts/reported").asInt()).isEqualTo(1);
            s = live.at("/specimens/0");
            assertThat(s.get("phase").asText()).isEqualTo("REPORTED");
            assertThat(s.get("progress").asDouble()).isEqualTo(1.0);
            assertThat(s.get("closeReason").asText()).isEqualTo("SCAN_FINISHED");
            assertThat(view.cachedCrops()).as("a closed specimen's crops are released").isZero();
            assertThat(
                            getBytes(server, "/api/thumbnail?specimen=S-1&cell=" + enc("S-1/c 0"))
                                    .statusCode())
                    .isEqualTo(200);
        }
    }

    @Test
    void aMalformedQueryIs400AndAThumbnailNeedsItsSpecimen() throws Exception {
        // Issue 20, defect 5: /api/thumbnail?cell=%ZZ% answered 500.
        LiveView view = new LiveView();
        try (LiveServer server = LiveServer.start("127.0.0.1", 0, view, null)) {
            var malformed =
                    RawHttp.exchange(
                            server.port(),
                            RawHttp.utf8(
                                    "GET /api/thumbnail?specimen=S&cell=%ZZ% HTTP/1.1\r\n"
                                            + "Host: 127.0.0.1"),
                            new byte[0]);
            assertThat(malformed.status()).isEqualTo(400);
            assertThat(malformed.body()).contains("malformed query string");
            assertThat(get(server, "/api/thumbnail?cell=x").statusCode()).isEqualTo(400);
        }
    }

    @Test
    void onlyAllowedHostNamesAndTokenHoldersAreAnswered() throws Exception {
        // Issue 20, defect 6: the page answered any Host (DNS rebinding) and had no login.
        LiveView view = new LiveView();
        LiveAccess access = LiveAccess.of("127.0.0.1", "live-s3cret", java.util.Set.of("lab-pc"));
        try (LiveServer server = LiveServer.start("127.0.0.1", 0, view, null, access)) {
            var rebound =
                    RawHttp.exchange(
                            server.port(),
                            RawHttp.utf8("GET /api/live HTTP/1.1\r\nHost: evil.example:80"),
                            new byte[0]);
            assertThat(rebound.status()).isEqualTo(403);
            var noToken =
                    RawHttp.exchange(
                            server.port(),
                            RawHttp.utf8("GET /api/live HTTP/1.1\r\nHost: lab-pc"),
                            new byte[0]);
            assertThat(noToken.status()).isEqualTo(401);
            var bearer =
                    RawHttp.exchange(
                            server.port(),
                            RawHttp.utf8(
                                    "GET /api/live HTTP/1.1\r\nHost: lab-pc\r\n"
                                            + "Authorization: Bearer live-s3cret"),
                            new byte[0]);
            assertThat(bearer.status()).isEqualTo(200);
            HttpResponse<String> login = get(server, "/?token=live-s3cret");
            assertThat(login.statusCode()).isEqualTo(303);
            String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
            assertThat(cookie).contains("HttpOnly").contains("SameSite=Strict");
            HttpResponse<String> withCookie =
                    http.send(
                            HttpRequest.newBuilder(
                                            URI.create(
                                                    "http://127.0.0.1:"
                                                            + server.port()
                                                            + "/api/live"))
                                    .header("Cookie", cookie.substring(0, cookie.indexOf(';')))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(withCookie.statusCode()).isEqualTo(200);
            assertThat(get(server, "/healthz").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aReplayAfterClearShowsTheSameViewNotTwiceTheCells() throws Exception {
        LiveView view =
                new LiveView(LiveView.Limits.DEFAULT, Clock.fixed(T0, java.time.ZoneOffset.UTC));
        Runnable replay =
                () -> {
                    view.accept(
                            Topics.SCAN_EVENTS.name(), Topics.SCAN_EVENTS.serializeValue(scan()));
                    for (int i = 0; i < 4; i++) {
                        view.accept(
                                Topics.CELLS_ACCEPTED.name(),
                                Topics.CELLS_ACCEPTED.serializeValue(crop(i)));
                    }
                    view.accept(
                            Topics.SPECIMEN_STATUS.name(),
                            Topics.SPECIMEN_STATUS.serializeValue(status()));
                };
        replay.run();
        var once = view.snapshot();
        int cached = view.cachedCrops();

        // What the consumer does on a reconnect: clear, then read from the lookback again.
        view.clear();
        replay.run();

        var again = view.snapshot();
        assertThat(again.get("specimens")).isEqualTo(once.get("specimens"));
        assertThat(again.get("counts")).isEqualTo(once.get("counts"));
        assertThat(again.at("/specimens/0/progress").asDouble()).isEqualTo(0.4);
        assertThat(view.cachedCrops()).isEqualTo(cached).isPositive();
    }

    @Test
    void answersErrorsAsJsonAndReportsTheConsumersState() throws Exception {
        try (LiveServer server = LiveServer.start("127.0.0.1", 0, new LiveView(), null)) {
            HttpResponse<String> missing = get(server, "/nope");
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(JSON.readTree(missing.body()).get("error").asText()).contains("live page");
            HttpResponse<String> post =
                    http.send(
                            HttpRequest.newBuilder(server.uri().resolve("/api/live"))
                                    .POST(HttpRequest.BodyPublishers.noBody())
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(get(server, "/healthz").statusCode()).isEqualTo(200);
            JsonNode live = JSON.readTree(get(server, "/api/live").body());
            assertThat(live.get("specimens").size()).isZero();
        }
        // A broker that is not there: the page says so instead of showing an empty room.
        try (LiveServer server =
                LiveServer.startWithConsumer("127.0.0.1", 0, "127.0.0.1:1", null)) {
            JsonNode src = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                src = JSON.readTree(get(server, "/api/live").body()).get("source");
                if (!src.get("error").isNull()) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(src.get("connected").asBoolean()).isFalse();
            assertThat(src.get("error").asText()).startsWith("cannot read the pipeline's topics");
            assertThat(get(server, "/healthz").statusCode()).isEqualTo(503);
        }
    }

    private static org.assertj.core.data.Offset<Double> within() {
        return org.assertj.core.data.Offset.offset(1e-6);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private HttpResponse<String> get(LiveServer server, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<byte[]> getBytes(LiveServer server, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static ScanEvent scan() {
        return ScanEvent.newBuilder()
                .setScanId("scan-1")
                .setSpecimenId("S-1")
                .setScannerId("scanner-A")
                .setType(ScanEventType.FINISHED)
                .setEventTime(T0)
                .setExpectedCells(10)
                .build();
    }

    private static CellCrop crop(int i) {
        return CellCrop.newBuilder()
                .setCellId("S-1/c " + i)
                .setSpecimenId("S-1")
                .setScanId("scan-1")
                .setScannerId("scanner-A")
                .setCaptureTime(T0)
                .setImage(ByteBuffer.wrap(TestImages.png(200, 150)))
                .setWidth(200)
                .setHeight(150)
                .build();
    }

    private static List<LabelProbability> probs() {
        return List.of(
                new LabelProbability("APL", 0.7f),
                new LabelProbability("control", 0.2f),
                new LabelProbability("CBFB_MYH11", 0.1f));
    }

    private static List<AttendedCells> attended() {
        return List.of(new AttendedCells("APL", List.of("S-1/c 0", "S-1/c 1")));
    }

    private static SpecimenStatus status() {
        return SpecimenStatus.newBuilder()
                .setSpecimenId("S-1")
                .setScanId("scan-1")
                .setSequence(3)
                .setPhase(SpecimenPhase.SCAN_FINISHED)
                .setCellCount(4)
                .setDeadLetteredCells(0)
                .setExpectedCells(10)
                .setMinCells(2)
                .setCall("APL")
                .setProbabilities(probs())
                .setDifferential(
                        List.of(new TypeCount("promyelocyte", 3L), new TypeCount("lymphocyte", 1L)))
                .setTopAttended(attended())
                .setAlertsRaised(List.of())
                .setMilModelId("mil-1")
                .setStatusTime(T0)
                .build();
    }

    private static SpecimenReport report() {
        return SpecimenReport.newBuilder()
                .setSpecimenId("S-1")
                .setScanId("scan-1")
                .setCloseReason(CloseReason.SCAN_FINISHED)
                .setExpectedCells(10)
                .setCellCount(9)
                .setDeadLetteredCells(1)
                .setCall("APL")
                .setProbabilities(probs())
                .setDifferential(List.of(new TypeCount("promyelocyte", 9L)))
                .setTopAttended(attended())
                .setAlertsRaised(List.of())
                .setEmbeddingModelId("vit")
                .setHeadModelId("head")
                .setMilModelId("mil-1")
                .setFirstCellTime(T0)
                .setLastCellTime(T0)
                .setReportTime(T0)
                .build();
    }
}
