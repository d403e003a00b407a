package org.bloomstream.devkit.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.bloomstream.ingest.TestImages.bytes;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import org.apache.kafka.streams.test.TestRecord;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.ingest.TestImages;
import org.bloomstream.ingest.gate.GateConfig;
import org.bloomstream.ingest.gate.GateHarness;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.bloomstream.schemas.avro.ScanEventType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LabelledFolderTest {
    private static final Instant START = Instant.parse("2026-04-01T12:00:00Z");
    private static final Set<String> FIVE_CLASSES =
            Set.of("neutrophil", "lymphocyte", "monocyte", "eosinophil", "basophil");

    @TempDir Path tmp;

    /** The folder being replayed; named so the single-specimen id is predictable. */
    private Path folder;

    @BeforeEach
    void writeImages() throws IOException {
        folder = Files.createDirectories(tmp.resolve("smear-17"));
        Path images = Files.createDirectories(folder.resolve("images"));
        Files.write(images.resolve("a.png"), TestImages.png(20, 10));
        Files.write(images.resolve("b.jpg"), TestImages.encode(TestImages.rgb(24, 16), "jpeg"));
        Files.write(images.resolve("c.bmp"), TestImages.encode(TestImages.rgb(12, 30), "bmp"));
        Files.write(images.resolve("d.tiff"), TestImages.encode(TestImages.rgb(9, 11), "tiff"));
        Files.write(folder.resolve("e.TIF"), TestImages.encode(TestImages.rgb(16, 16), "tiff"));
    }

    private void csv(String... lines) throws IOException {
        Files.writeString(folder.resolve("labels.csv"), String.join("\n", lines) + "\n");
    }

    private static List<Emission> emissions(LabelledFolder f) {
        List<Emission> out = new ArrayList<>();
        f.forEach(out::add);
        return out;
    }

    // ---------------------------------------------------------------- grouping

    @ParameterizedTest(name = "group column \"{0}\"")
    @ValueSource(strings = {"group", "source_image", "patient"})
    void eachGroupBecomesASpecimen(String groupColumn) throws IOException {
        csv(
                "path,label," + groupColumn,
                "images/a.png,Neutrophil,P1",
                "images/b.jpg,lymphocyte,P1",
                "images/c.bmp,monocyte,P2",
                "images/d.tiff, eosinophil ,P1",
                "e.TIF,basophil, P2 ");
        LabelledFolder f = LabelledFolder.open(folder, START);

        assertThat(f.crops()).isEqualTo(5);
        Map<String, List<LabelledFolder.Entry>> specimens = f.specimens();
        assertThat(specimens.keySet()).containsExactly("P1", "P2");
        assertThat(specimens.get("P1"))
                .extracting(e -> folder.relativize(e.path()).toString())
                .containsExactly("images/a.png", "images/b.jpg", "images/d.tiff");
        assertThat(specimens.get("P1"))
                .extracting(LabelledFolder.Entry::label)
                .containsExactly("neutrophil", "lymphocyte", "eosinophil");
        assertThat(specimens.get("P2"))
                .extracting(LabelledFolder.Entry::label)
                .containsExactly("monocyte", "basophil");
        assertThat(specimens.get("P2")).allMatch(e -> e.group().equals("P2"));

        List<Emission> es = emissions(f);
        assertThat(es)
                .extracting(Emission::type, Emission::specimenId)
                .containsExactly(
                        tuple(Emission.Type.SCAN_STARTED, "P1"),
                        tuple(Emission.Type.CROP, "P1"),
                        tuple(Emission.Type.CROP, "P1"),
                        tuple(Emission.Type.CROP, "P1"),
                        tuple(Emission.Type.SCAN_FINISHED, "P1"),
                        tuple(Emission.Type.SCAN_STARTED, "P2"),
                        tuple(Emission.Type.CROP, "P2"),
                        tuple(Emission.Type.CROP, "P2"),
                        tuple(Emission.Type.SCAN_FINISHED, "P2"));
        assertThat(es.get(0).scanEvent().getExpectedCells()).isNull();
        assertThat(es.get(0).scanEvent().getType()).isEqualTo(ScanEventType.STARTED);
        assertThat(es.get(4).scanEvent().getType()).isEqualTo(ScanEventType.FINISHED);
        assertThat(es.get(4).scanEvent().getExpectedCells()).isEqualTo(3);
        assertThat(es.get(8).scanEvent().getExpectedCells()).isEqualTo(2);

        CellCrop first = es.get(1).crop();
        assertThat(first.getCellId()).isEqualTo("P1/images/a.png");
        assertThat(first.getSpecimenId()).isEqualTo("P1");
        assertThat(first.getScanId()).isEqualTo(es.get(0).scanEvent().getScanId());
        assertThat(first.getScannerId()).isEqualTo("replay-smear-17");
        assertThat(first.getReferenceLabel()).isEqualTo("neutrophil");
        assertThat(first.getEncoding()).isEqualTo(ImageEncoding.PNG);
        assertThat(bytes(first.getImage()))
                .isEqualTo(Files.readAllBytes(folder.resolve("images/a.png")));
        assertThat(es.get(7).crop().getCellId()).isEqualTo("P2/e.TIF");
        assertThat(es.get(7).crop().getEncoding()).isEqualTo(ImageEncoding.TIFF);
    }

    @Test
    void withoutAGroupColumnTheFolderIsOneSpecimen() throws IOException {
        csv(
                "path,label",
                "images/a.png,neutrophil",
                "images/b.jpg,lymphocyte",
                "",
                "images/c.bmp,monocyte",
                "images/d.tiff,eosinophil");
        LabelledFolder f = LabelledFolder.open(folder, START);

        assertThat(f.specimens().keySet()).containsExactly("smear-17");
        assertThat(f.crops()).isEqualTo(4);
        List<Emission> es = emissions(f);
        assertThat(es).hasSize(6);
        assertThat(es.get(0).type()).isEqualTo(Emission.Type.SCAN_STARTED);
        assertThat(es.subList(1, 5)).allMatch(e -> e.type() == Emission.Type.CROP);
        assertThat(es.get(5).type()).isEqualTo(Emission.Type.SCAN_FINISHED);
        assertThat(es.get(5).scanEvent().getExpectedCells()).isEqualTo(4);
        assertThat(es).allMatch(e -> e.specimenId().equals("smear-17"));
        assertThat(es.subList(1, 5))
                .extracting(e -> e.crop().getEncoding())
                .containsExactly(
                        ImageEncoding.PNG,
                        ImageEncoding.JPEG,
                        ImageEncoding.BMP,
                        ImageEncoding.TIFF);
        // the folder name is the specimen even when opened through a relative, unnormalised path
        Path cwd = Path.of("").toAbsolutePath();
        Path odd = cwd.relativize(folder.resolve("images").resolve(".."));
        assertThat(LabelledFolder.open(odd, START).specimens().keySet())
                .containsExactly("smear-17");
        assertThat(emissions(LabelledFolder.open(odd, START)).get(1).cellId())
                .isEqualTo("smear-17/images/a.png");
    }

    @Test
    void replayedCropsPassTheGateWithTheirRealFormatAndSize() throws IOException {
        csv(
                "path,label,group",
                "images/a.png,neutrophil,P1",
                "images/b.jpg,lymphocyte,P1",
                "images/c.bmp,monocyte,P2",
                "images/d.tiff,eosinophil,P2",
                "e.TIF,basophil,P2");
        LabelledFolder f = LabelledFolder.open(folder, START);
        List<TestRecord<String, CellCrop>> accepted = replayThroughGate(f, 0);
        Map<String, CellCrop> byCell = new LinkedHashMap<>();
        accepted.forEach(r -> byCell.put(r.value().getCellId(), r.value()));
        assertThat(byCell.keySet())
                .containsExactly(
                        "P1/images/a.png",
                        "P1/images/b.jpg",
                        "P2/images/c.bmp",
                        "P2/images/d.tiff",
                        "P2/e.TIF");
        assertSize(byCell.get("P1/images/a.png"), ImageEncoding.PNG, 20, 10);
        assertSize(byCell.get("P1/images/b.jpg"), ImageEncoding.JPEG, 24, 16);
        assertSize(byCell.get("P2/images/c.bmp"), ImageEncoding.BMP, 12, 30);
        assertSize(byCell.get("P2/images/d.tiff"), ImageEncoding.TIFF, 9, 11);
        assertSize(byCell.get("P2/e.TIF"), ImageEncoding.TIFF, 16, 16);
    }

    private static void assertSize(CellCrop c, ImageEncoding encoding, int width, int height) {
        assertThat(c.getEncoding()).as(c.getCellId()).isEqualTo(encoding);
        assertThat(c.getWidth()).as(c.getCellId()).isEqualTo(width);
        assertThat(c.getHeight()).as(c.getCellId()).isEqualTo(height);
    }

    /** Pipes every crop through the gate; asserts all are accepted and keyed by specimen. */
    private static List<TestRecord<String, CellCrop>> replayThroughGate(
            LabelledFolder f, int expectedDead) {
        try (GateHarness gate = new GateHarness(GateConfig.DEFAULT)) {
            int crops = 0;
            for (Emission e : f) {
                if (e.type() == Emission.Type.CROP) {
                    gate.send(
                            e.specimenId().getBytes(StandardCharsets.UTF_8),
                            Topics.CELLS_RAW.serializeValue(e.crop()));
                    crops++;
                }
            }
            assertThat(gate.dead()).hasSize(expectedDead);
            List<TestRecord<String, CellCrop>> accepted = gate.accepted();
            assertThat(accepted).hasSize(crops - expectedDead);
            assertThat(accepted).allMatch(r -> r.key().equals(r.value().getSpecimenId()));
            return accepted;
        }
    }

    @Test
    void iteratorEndsWithNoSuchElement() throws IOException {
        csv("path,label", "images/a.png,neutrophil");
        Iterator<Emission> it = LabelledFolder.open(folder, START).iterator();
        assertThat(it.next().type()).isEqualTo(Emission.Type.SCAN_STARTED);
        assertThat(it.next().type()).isEqualTo(Emission.Type.CROP);
        assertThat(it.next().type()).isEqualTo(Emission.Type.SCAN_FINISHED);
        assertThat(it.hasNext()).isFalse();
        assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
    }

    @Test
    void captureTimesFollowEmissionOrder() throws IOException {
        csv("path,label,g", "images/a.png,neutrophil,A", "images/b.jpg,lymphocyte,B");
        List<Emission> es = emissions(LabelledFolder.open(folder, START));
        for (int i = 0; i < es.size(); i++) {
            Emission e = es.get(i);
            Instant t = e.crop() != null ? e.crop().getCaptureTime() : e.scanEvent().getEventTime();
            assertThat(t).isEqualTo(START.plusMillis(i));
        }
    }

    // ---------------------------------------------------------------- errors

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(
            strings = {
                "images/b.jpg",
                ",neutrophil",
                "images/b.jpg,",
                "images/b.jpg,   ",
                "   ,neutrophil,P1"
            })
    void malformedRowFailsNamingItsLine(String row) throws IOException {
        // line 3 is blank, so the bad row is on line 4 of the file
        csv("path,label,group", "images/a.png,neutrophil,P1", "", row);
        assertThatThrownBy(() -> LabelledFolder.open(folder, START))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("labels.csv:4:");
    }

    @Test
    void missingFileFailsNamingItsLine() throws IOException {
        csv("path,label", "images/a.png,neutrophil", "images/missing.png,monocyte");
        assertThatThrownBy(() -> LabelledFolder.open(folder, START))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("labels.csv:3:")
                .hasMessageContaining("missing.png");
    }

    @Test
    void directoryInsteadOfFileFailsNamingItsLine() throws IOException {
        csv("path,label", "images,neutrophil");
        assertThatThrownBy(() -> LabelledFolder.open(folder, START))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("labels.csv:2:");
    }

    @Test
    void missingLabelsCsvIsAClearError() {
        assertThatThrownBy(() -> LabelledFolder.open(folder, START))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("labels.csv")
                .hasMessageContaining(folder.toString());
        assertThatThrownBy(() -> LabelledFolder.open(tmp.resolve("no-such-folder"), START))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("labels.csv");
    }

    @Test
    void wrongHeaderEmptyFileAndNoRowsAreErrors() throws IOException {
        csv("file,label", "images/a.png,neutrophil");
        assertThatThrownBy(() -> LabelledFolder.open(folder, START))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("path,label");
        csv("path");
        assertThatThrownBy(() -> LabelledFolder.open(folder, START))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("path,label");
        Files.writeString(folder.resolve("labels.csv"), "");
        assertThatThrownBy(() -> LabelledFolder.open(folder, START))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("empty");
        csv("path,label", "", "  ");
        assertThatThrownBy(() -> LabelledFolder.open(folder, START))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("no crops");
    }

    // ---------------------------------------------------------------- real data

    /** {@code shared/data/<name>} found by walking up from the working directory, or null. */
    private static Path sharedData(String name) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared").resolve("data").resolve(name);
            if (Files.isRegularFile(candidate.resolve("labels.csv"))) {
                return candidate;
            }
        }
        return null;
    }

    private static Path requireSharedData(String name) {
        Path dir = sharedData(name);
        Assumptions.assumeTrue(
                dir != null,
                "shared/data/"
                        + name
                        + "/labels.csv not found in any parent of "
                        + Path.of("").toAbsolutePath()
                        + "; skipping the real-data replay test");
        return dir;
    }

    @Test
    void realBccdCropsAreGroupedBySourceImage() throws IOException {
        Path dir = requireSharedData("wbc-bccd");
        List<String> rows = Files.readAllLines(dir.resolve("labels.csv"));
        assertThat(rows.get(0).split(",")[2].trim()).isEqualTo("source_image");
        Set<String> sourceImages = new LinkedHashSet<>();
        for (String row : rows.subList(1, rows.size())) {
            if (!row.isBlank()) {
                sourceImages.add(row.split(",")[2].trim());
            }
        }

        LabelledFolder f = LabelledFolder.open(dir, START);
        assertThat(f.crops()).isEqualTo(351);
        assertThat(f.specimens().keySet()).containsExactlyElementsOf(sourceImages);
        assertThat(f.specimens().values().stream().flatMap(List::stream))
                .allSatisfy(
                        e -> {
                            assertThat(e.label()).isIn(FIVE_CLASSES);
                            assertThat(e.path()).isRegularFile();
                        });

        List<Emission> es = emissions(f);
        assertThat(es).hasSize(351 + 2 * sourceImages.size());
        assertThat(es.stream().filter(e -> e.type() == Emission.Type.CROP)).hasSize(351);
        int finishedTotal =
                es.stream()
                        .filter(e -> e.type() == Emission.Type.SCAN_FINISHED)
                        .mapToInt(e -> e.scanEvent().getExpectedCells())
                        .sum();
        assertThat(finishedTotal).isEqualTo(351);

        List<TestRecord<String, CellCrop>> accepted = replayThroughGate(f, 0);
        assertThat(accepted)
                .allSatisfy(
                        r -> {
                            assertThat(r.value().getEncoding()).isEqualTo(ImageEncoding.JPEG);
                            assertThat(r.value().getWidth()).isGreaterThan(8);
                            assertThat(r.value().getHeight()).isGreaterThan(8);
                        });
    }

    @Test
    void realJtscCropsAreOneSpecimen() throws IOException {
        Path dir = requireSharedData("wbc-jtsc");
        LabelledFolder f = LabelledFolder.open(dir, START);
        assertThat(f.crops()).isEqualTo(300);
        assertThat(f.specimens().keySet()).containsExactly("wbc-jtsc");

        List<Emission> es = emissions(f);
        assertThat(es).hasSize(302);
        assertThat(es.get(0).type()).isEqualTo(Emission.Type.SCAN_STARTED);
        assertThat(es.get(301).type()).isEqualTo(Emission.Type.SCAN_FINISHED);
        assertThat(es.get(301).scanEvent().getExpectedCells()).isEqualTo(300);
        assertThat(es.subList(1, 301))
                .allSatisfy(
                        e -> {
                            assertThat(e.type()).isEqualTo(Emission.Type.CROP);
                            assertThat(e.crop().getReferenceLabel()).isIn(FIVE_CLASSES);
                            assertThat(e.crop().getEncoding()).isEqualTo(ImageEncoding.BMP);
                        });

        // Not all crops are 120x120 (224 of 300 are; the rest are smaller): the gate
        // must report each file's own size, read here straight from the BMP header.
        List<TestRecord<String, CellCrop>> accepted = replayThroughGate(f, 0);
        assertThat(accepted).hasSize(300);
        for (TestRecord<String, CellCrop> r : accepted) {
            CellCrop c = r.value();
            byte[] file =
                    Files.readAllBytes(dir.resolve(c.getCellId().substring("wbc-jtsc/".length())));
            ByteBuffer header = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
            assertThat(r.key()).isEqualTo("wbc-jtsc");
            assertThat(c.getEncoding()).isEqualTo(ImageEncoding.BMP);
            assertThat(c.getWidth()).as(c.getCellId()).isEqualTo(header.getInt(18));
            assertThat(c.getHeight()).as(c.getCellId()).isEqualTo(Math.abs(header.getInt(22)));
            assertThat(c.getWidth()).isBetween(8, 120);
            assertThat(c.getHeight()).isBetween(8, 120);
        }
    }
}
