package org.bloomstream.ingest.gate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate agrees with the decoder: the crafted corpus of format variants that the decoder's
 * differential test uses (written by {@code inference/src/test/python/pillow_decoding.py}), and
 * every image of every data set under {@code ../shared/data}, go through the gate's header and
 * structure probe. Pillow's verdict stands for the decoder's (the differential test holds the two
 * equal): no file that Pillow reads is dead-lettered here, and every file it refuses is
 * dead-lettered as {@code UNDECODABLE_IMAGE}.
 *
 * <p>Needs Debian's python3-pil; skipped without it unless {@code BLOOMSTREAM_REQUIRE_PYTHON=1}.
 */
class GateCorpusTest {
    private static final String PYTHON = "/usr/bin/python3";

    @Test
    void noCropThatTheDecoderReadsIsDeadLetteredAndDamagedOnesAreWithTheirReason(@TempDir Path tmp)
            throws Exception {
        Path root = repoRoot();
        Path script = root.resolve("inference/src/test/python/pillow_decoding.py");
        requirePillow();
        Path corpus = tmp.resolve("corpus");
        Files.createDirectories(corpus);
        // The decoder's test embeds this non-sRGB profile in a JPEG, a PNG and a TIFF too.
        Path icc = corpus.resolve("profile.icc");
        Files.write(
                icc,
                java.awt.color.ICC_Profile.getInstance(java.awt.color.ColorSpace.CS_LINEAR_RGB)
                        .getData());
        exec(List.of(PYTHON, script.toString(), "corpus", corpus.toString()));
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(corpus)) {
            s.filter(p -> !p.equals(icc)).sorted().forEach(files::add);
        }
        int crafted = files.size();
        Path data = root.getParent().resolve("shared/data");
        if (Files.isDirectory(data)) {
            try (Stream<Path> s = Files.walk(data)) {
                s.filter(p -> p.getParent().toString().contains("/images"))
                        .filter(Files::isRegularFile)
                        .sorted()
                        .forEach(files::add);
            }
        }
        Path list = tmp.resolve("list.txt");
        Files.write(list, files.stream().map(Path::toString).toList());
        List<String> verdicts =
                exec(List.of(PYTHON, script.toString(), "verdicts", list.toString()))
                        .lines()
                        .toList();
        assertThat(verdicts).hasSize(files.size());

        CropValidator gate = new CropValidator(GateConfig.DEFAULT);
        List<String> wrong = new ArrayList<>();
        int accepted = 0;
        int dead = 0;
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            String pillow = verdicts.get(i);
            CropValidator.Decision d = gate.validate(record(i, Files.readAllBytes(f)));
            if (pillow.equals("OK")) {
                if (d.dead() != null) {
                    wrong.add(
                            f.getFileName()
                                    + ": Pillow reads it, the gate dead-letters it: "
                                    + d.dead().getReason()
                                    + " "
                                    + d.dead().getDetail());
                }
                accepted++;
            } else {
                if (d.dead() == null) {
                    wrong.add(
                            f.getFileName()
                                    + ": Pillow refuses it ("
                                    + pillow
                                    + "), the gate accepts it");
                } else if (d.dead().getReason() != DeadLetterReason.UNDECODABLE_IMAGE) {
                    wrong.add(f.getFileName() + ": dead-lettered as " + d.dead().getReason());
                } else {
                    System.out.println(
                            "  dead-lettered: " + f.getFileName() + ": " + d.dead().getDetail());
                }
                dead++;
            }
        }
        System.out.printf(
                Locale.ROOT,
                "gate: %d files (%d crafted), %d readable accepted, %d damaged dead-lettered,"
                        + " %d disagreements%n",
                files.size(),
                crafted,
                accepted - countOf(wrong, "the gate dead-letters"),
                dead - countOf(wrong, "accepts it") - countOf(wrong, "dead-lettered as"),
                wrong.size());
        wrong.forEach(w -> System.out.println("DISAGREE " + w));
        assertThat(wrong).isEmpty();
        assertThat(dead).isGreaterThanOrEqualTo(10);
    }

    private static int countOf(List<String> lines, String part) {
        return (int) lines.stream().filter(l -> l.contains(part)).count();
    }

    private static SourceRecord record(int i, byte[] image) {
        CellCrop crop =
                CellCrop.newBuilder()
                        .setCellId("c-" + i)
                        .setSpecimenId("S-1")
                        .setScanId("scan-1")
                        .setScannerId("scanner-1")
                        .setCaptureTime(Instant.parse("2026-02-03T10:00:00Z"))
                        .setImage(ByteBuffer.wrap(image))
                        .setEncoding(ImageEncoding.UNKNOWN)
                        .setWidth(0)
                        .setHeight(0)
                        .build();
        return new SourceRecord(
                "cells.raw",
                0,
                i,
                1_770_000_000_000L + i,
                "S-1".getBytes(StandardCharsets.UTF_8),
                Topics.CELLS_RAW.serializeValue(crop));
    }

    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("models/fixtures"))) {
            p = p.getParent();
        }
        assertThat(p).as("repository root above " + Path.of("").toAbsolutePath()).isNotNull();
        return p;
    }

    private static void requirePillow() throws Exception {
        boolean ok;
        try {
            Process p =
                    new ProcessBuilder(PYTHON, "-c", "import PIL, numpy")
                            .redirectErrorStream(true)
                            .start();
            p.getInputStream().readAllBytes();
            ok = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            ok = false;
        }
        if (!ok) {
            String msg =
                    "Pillow is not installed for "
                            + PYTHON
                            + "; run: apt-get install -y python3-pil python3-numpy";
            if ("1".equals(System.getenv("BLOOMSTREAM_REQUIRE_PYTHON"))) {
                throw new AssertionError(msg);
            }
            Assumptions.abort("SKIPPED: " + msg);
        }
    }

    private static String exec(List<String> command) throws Exception {
        Process p =
                new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
        }
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command)).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }
}
