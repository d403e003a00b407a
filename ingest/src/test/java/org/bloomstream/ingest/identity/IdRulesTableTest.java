package org.bloomstream.ingest.identity;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.bloomstream.ingest.RawHttp;
import org.bloomstream.ingest.TestImages;
import org.bloomstream.ingest.feed.CropSender;
import org.bloomstream.ingest.gate.GateConfig;
import org.bloomstream.ingest.gate.GateHarness;
import org.bloomstream.ingest.http.CropHttpServer;
import org.bloomstream.ingest.watch.WatchFolder;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 20, defect 3: ids were checked in one path and not in another (a 200,013-character specimen
 * id passed through a form field; NUL, CR/LF and ESC were stored as sent; {@code SPEC-患者} became
 * two specimens depending on how it was sent). Now one rule table, one check, and every path ends
 * each case the same way: accepted with the same id, or refused with the rule's reason before
 * anything is produced (a 400, a {@code scan.rejected} file) or dead-lettered with {@code
 * INVALID_ID}/{@code MISSING_ID} by the gate.
 *
 * <p>The replay path has the same table in devkit ({@code FolderReplayIdRulesTest}).
 */
class IdRulesTableTest {
    /** One rule: an id, and what every path must make of it (null: accepted as {@code expect}). */
    record Case(String name, String id, String expect, String reason, String deadReason) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final List<Case> RULES =
            List.of(
                    new Case("plain", "SPEC-1", "SPEC-1", null, null),
                    new Case("utf8", "SPEC-患者", "SPEC-患者", null, null),
                    new Case("trimmed", "  SPEC-2\t", "SPEC-2", null, null),
                    new Case("at the limit", "s".repeat(256), "s".repeat(256), null, null),
                    new Case("blank", "   ", null, "missing", "MISSING_ID"),
                    new Case("too long", "s".repeat(257), null, "257 characters", "INVALID_ID"),
                    new Case("huge", "s".repeat(200_013), null, "200013 characters", "INVALID_ID"),
                    new Case("NUL", "SPEC\u0000X", null, "control character", "INVALID_ID"),
                    new Case("ESC", "SPEC\u001B[31mX", null, "control character", "INVALID_ID"),
                    new Case("CR LF", "SPEC\r\nX", null, "", "INVALID_ID"),
                    new Case("bidi", "SPEC\u202EX", null, "bidirectional", "INVALID_ID"),
                    new Case("replacement", "SPEC\uFFFDX", null, "UTF-8", "INVALID_ID"));

    /** A path crops come in by. */
    interface Path_ {
        /** Sends a crop with this specimen id; what came of it. */
        Outcome send(String specimenId, java.nio.file.Path tmp) throws Exception;
    }

    /** Accepted with an id, refused with a message, or dead-lettered with a reason. */
    record Outcome(String acceptedId, String refusal, String deadReason) {}

    private static final String JETTY = "refused by Jetty's HTTP parser: ";

    static final byte[] JPEG = TestImages.encode(TestImages.rgb(40, 30), "jpeg");

    static Stream<Arguments> table() {
        List<Arguments> all = new ArrayList<>();
        for (String path : List.of("header", "form field", "watch folder", "gate")) {
            for (Case c : RULES) {
                if (path.equals("watch folder") && c.id().length() > 10_000) {
                    continue; // a folder name or properties value that long is not a scanner's
                }
                all.add(Arguments.of(path, c));
            }
        }
        return all.stream();
    }

    @TempDir java.nio.file.Path tmp;

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("table")
    void everyPathAppliesTheSameIdRules(String path, Case c) throws Exception {
        Outcome o =
                switch (path) {
                    case "header" -> http(c.id(), false);
                    case "form field" -> http(c.id(), true);
                    case "watch folder" -> watch(c.id());
                    default -> gate(c.id());
                };
        if (c.expect() != null) {
            assertThat(o.acceptedId()).as("%s accepted as", path).isEqualTo(c.expect());
        } else {
            assertThat(o.acceptedId()).as("%s must not accept it", path).isNull();
            if (path.equals("gate")) {
                assertThat(o.deadReason()).isEqualTo(c.deadReason());
            } else if (o.refusal().startsWith(JETTY)) {
                // Bytes HTTP does not allow in a header at all (NUL, ESC, CR LF, 200 KB): Jetty's
                // parser refuses them (400, 431) before our check runs; still nothing produced.
                assertThat(path).isEqualTo("header");
            } else {
                assertThat(o.refusal()).as("%s says why", path).isNotNull().contains(c.reason());
                assertThat(o.refusal()).doesNotContain("Exception");
            }
        }
    }

    // ---------------------------------------------------------------- adapters

    private static Outcome http(String specimen, boolean form) throws Exception {
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(
                        true, null, new ByteArraySerializer(), new ByteArraySerializer());
        try (CropHttpServer server =
                CropHttpServer.start(
                        new CropHttpServer.Options("127.0.0.1", 0, null, 1 << 20, 1 << 22, "t", 8),
                        new CropSender(producer, 1 << 24))) {
            RawHttp.Answer a;
            if (form) {
                String b = "b0undary";
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                body.writeBytes(
                        ("--"
                                        + b
                                        + "\r\nContent-Disposition: form-data; name=\"specimenId\"\r\n\r\n")
                                .getBytes(UTF_8));
                body.writeBytes(specimen.getBytes(UTF_8));
                body.writeBytes(
                        ("\r\n--"
                                        + b
                                        + "\r\nContent-Disposition: form-data; name=\"scanId\"\r\n\r\n"
                                        + "scan-1\r\n--"
                                        + b
                                        + "\r\nContent-Disposition: form-data; name=\"image\";"
                                        + " filename=\"c.jpg\"\r\n\r\n")
                                .getBytes(UTF_8));
                body.writeBytes(JPEG);
                body.writeBytes(("\r\n--" + b + "--\r\n").getBytes(UTF_8));
                a =
                        RawHttp.exchange(
                                server.port(),
                                RawHttp.utf8(
                                        "POST /v1/crops HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                + "Content-Type: multipart/form-data; boundary="
                                                + b),
                                body.toByteArray());
            } else {
                ByteArrayOutputStream head = new ByteArrayOutputStream();
                head.writeBytes(
                        RawHttp.utf8(
                                "POST /v1/crops HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Scan-Id: scan-1\r\n"
                                        + "X-Specimen-Id: "));
                head.writeBytes(specimen.getBytes(UTF_8)); // raw UTF-8, as a scanner sends it
                a = RawHttp.exchange(server.port(), head.toByteArray(), JPEG);
            }
            if (a.status() == 202) {
                assertThat(producer.history()).hasSize(1);
                CellCrop crop =
                        Topics.CELLS_RAW.deserializeValue(producer.history().get(0).value());
                return new Outcome(crop.getSpecimenId(), null, null);
            }
            assertThat(a.status()).as(a.body()).isIn(400, 431);
            assertThat(producer.history()).as("nothing produced").isEmpty();
            return new Outcome(
                    null, a.body().startsWith("<html>") ? JETTY + a.status() : a.body(), null);
        }
    }

    private Outcome watch(String specimen) throws Exception {
        java.nio.file.Path root = Files.createDirectories(tmp.resolve("watch"));
        java.nio.file.Path scan = Files.createDirectories(root.resolve("scan-1"));
        Properties p = new Properties();
        p.setProperty("specimenId", specimen);
        p.setProperty("scanId", "scan-1");
        try (OutputStream out = Files.newOutputStream(scan.resolve(WatchFolder.PROPERTIES))) {
            p.store(out, null);
        }
        Files.write(scan.resolve("c1.jpg"), JPEG);
        Files.writeString(scan.resolve(WatchFolder.END_MARKER), "");
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(
                        true, null, new ByteArraySerializer(), new ByteArraySerializer());
        List<String> warnings = new ArrayList<>();
        WatchFolder w =
                new WatchFolder(
                        WatchFolder.Options.defaults(root).withSettle(java.time.Duration.ZERO),
                        new CropSender(producer, 1 << 24),
                        new WatchFolder.Listener() {
                            @Override
                            public void warning(String folder, String message) {
                                warnings.add(message);
                            }
                        });
        w.pollOnce();
        List<CellCrop> crops =
                producer.history().stream()
                        .filter(r -> r.topic().equals(Topics.CELLS_RAW.name()))
                        .map(r -> Topics.CELLS_RAW.deserializeValue(r.value()))
                        .toList();
        if (!crops.isEmpty()) {
            return new Outcome(crops.get(0).getSpecimenId(), null, null);
        }
        assertThat(producer.history()).as("nothing produced, not even scan events").isEmpty();
        java.nio.file.Path rejected = scan.resolve(WatchFolder.REJECTED);
        assertThat(rejected).exists();
        return new Outcome(null, Files.readString(rejected), null);
    }

    private static Outcome gate(String specimen) {
        try (GateHarness gate = new GateHarness(GateConfig.DEFAULT)) {
            CellCrop crop =
                    CellCrop.newBuilder()
                            .setCellId("c-1")
                            .setSpecimenId(specimen)
                            .setScanId("scan-1")
                            .setScannerId("s")
                            .setCaptureTime(Instant.now())
                            .setImage(ByteBuffer.wrap(JPEG))
                            .setEncoding(ImageEncoding.UNKNOWN)
                            .setWidth(0)
                            .setHeight(0)
                            .build();
            gate.send(specimen.getBytes(UTF_8), Topics.CELLS_RAW.serializeValue(crop));
            var accepted = gate.accepted();
            if (!accepted.isEmpty()) {
                return new Outcome(accepted.get(0).getValue().getSpecimenId(), null, null);
            }
            DeadLetter d = gate.dead().get(0).getValue();
            assertThat(d.getDetail())
                    .doesNotContain(specimen.length() > 3 ? specimen : "\u0000\u0000");
            return new Outcome(null, d.getDetail(), d.getReason().name());
        }
    }
}
