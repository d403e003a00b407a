package org.bloomstream.ingest.gate;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bloomstream.ingest.TestImages.bytes;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.streams.test.TestRecord;
import org.bloomstream.ingest.TestImages;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.CropGeometry;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The ingest gate topology end to end in a {@link org.apache.kafka.streams.TopologyTestDriver}: raw
 * bytes on {@code cells.raw}, and exactly one record per input on {@code cells.accepted} or {@code
 * cells.dead}.
 */
class IngestGateTopologyTest {
    private static final Instant CAPTURE = Instant.parse("2026-02-03T10:15:30.123Z");

    /** Records piped in {@link #start()} before each test, so the record under test is not 0. */
    private static final int PREAMBLE = 2;

    private static byte[] neutrophilJpeg;

    private GateHarness gate;

    @BeforeAll
    static void renderCrop() {
        neutrophilJpeg = TestImages.encode(TestImages.rgb(96, 96), "jpeg");
    }

    @BeforeEach
    void start() {
        gate = new GateHarness(GateConfig.DEFAULT);
        for (int i = 0; i < PREAMBLE; i++) {
            gate.send(key("S-0"), value(crop("pre-" + i, "S-0", "scan-0", neutrophilJpeg).build()));
        }
        assertThat(gate.accepted()).hasSize(PREAMBLE);
        assertThat(gate.dead()).isEmpty();
    }

    @AfterEach
    void stop() {
        gate.close();
    }

    // ---------------------------------------------------------------- accepted

    @ParameterizedTest(name = "declared {0}")
    @EnumSource(
            value = ImageEncoding.class,
            names = {"PNG", "UNKNOWN", "BMP"})
    void validJpegIsAcceptedNormalisedAndKeyedBySpecimen(ImageEncoding declared) {
        CellCrop in =
                crop(" c-1 ", "\tS-1  ", "  scan-1\n", neutrophilJpeg)
                        .setEncoding(declared)
                        .setWidth(0)
                        .setHeight(0)
                        .setScannerId("scanner-7")
                        .setMicronsPerPixel(0.125)
                        .setGeometry(new CropGeometry("fov-3", 10, 20, 96, 96))
                        .setReferenceLabel("neutrophil")
                        .build();
        gate.send(key(" S-1 "), value(in));

        TestRecord<String, CellCrop> out = onlyAccepted();
        assertThat(out.key()).isEqualTo("S-1");
        CellCrop c = out.value();
        assertThat(c.getCellId()).isEqualTo("c-1");
        assertThat(c.getSpecimenId()).isEqualTo("S-1");
        assertThat(c.getScanId()).isEqualTo("scan-1");
        assertThat(c.getEncoding()).isEqualTo(ImageEncoding.JPEG);
        assertThat(c.getWidth()).isEqualTo(96);
        assertThat(c.getHeight()).isEqualTo(96);
        // everything else passes through untouched
        assertThat(bytes(c.getImage())).isEqualTo(neutrophilJpeg);
        assertThat(c.getScannerId()).isEqualTo("scanner-7");
        assertThat(c.getCaptureTime()).isEqualTo(CAPTURE);
        assertThat(c.getMicronsPerPixel()).isEqualTo(0.125);
        assertThat(c.getGeometry()).isEqualTo(new CropGeometry("fov-3", 10, 20, 96, 96));
        assertThat(c.getReferenceLabel()).isEqualTo("neutrophil");
    }

    static Stream<Arguments> formats() {
        return Stream.of(
                Arguments.of("png", ImageEncoding.PNG),
                Arguments.of("bmp", ImageEncoding.BMP),
                Arguments.of("tiff", ImageEncoding.TIFF),
                Arguments.of("jpeg", ImageEncoding.JPEG));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("formats")
    void everySupportedFormatIsAcceptedWithItsRealEncodingAndSize(
            String format, ImageEncoding expected) {
        // not square, so a swapped width and height would show
        byte[] image = TestImages.encode(TestImages.rgb(40, 24), format);
        ImageEncoding wrong =
                expected == ImageEncoding.JPEG ? ImageEncoding.PNG : ImageEncoding.JPEG;
        gate.send(
                key("S-1"),
                value(
                        crop("c-1", "S-1", "scan-1", image)
                                .setEncoding(wrong)
                                .setWidth(999)
                                .setHeight(1)
                                .build()));

        CellCrop c = onlyAccepted().value();
        assertThat(c.getEncoding()).isEqualTo(expected);
        assertThat(c.getWidth()).isEqualTo(40);
        assertThat(c.getHeight()).isEqualTo(24);
        assertThat(bytes(c.getImage())).isEqualTo(image);
    }

    @ParameterizedTest(name = "BufferedImage type {0}")
    @ValueSource(ints = {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_USHORT_GRAY})
    void grayscalePngsAreAccepted(int type) {
        byte[] png = TestImages.encode(TestImages.gray(33, 17, type), "png");
        int depth = type == BufferedImage.TYPE_USHORT_GRAY ? 16 : 8;
        assertThat(TestImages.pngDepthAndColourType(png))
                .as("precondition: %d-bit grayscale PNG", depth)
                .containsExactly(depth, 0);
        gate.send(key("S-1"), value(crop("c-1", "S-1", "scan-1", png).build()));

        CellCrop c = onlyAccepted().value();
        assertThat(c.getEncoding()).isEqualTo(ImageEncoding.PNG);
        assertThat(c.getWidth()).isEqualTo(33);
        assertThat(c.getHeight()).isEqualTo(17);
    }

    @Test
    void cmykJpegIsAccepted() throws IOException {
        byte[] cmyk = TestImages.cmykJpeg(40, 30);
        assertThat(TestImages.jpegComponents(cmyk)).as("precondition: 4 components").isEqualTo(4);
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(cmyk));
        assertThat(decoded).as("precondition: the JPEG plugin decodes CMYK").isNotNull();
        assertThat(decoded.getWidth()).isEqualTo(40);

        gate.send(key("S-1"), value(crop("c-1", "S-1", "scan-1", cmyk).build()));

        CellCrop c = onlyAccepted().value();
        assertThat(c.getEncoding()).isEqualTo(ImageEncoding.JPEG);
        assertThat(c.getWidth()).isEqualTo(40);
        assertThat(c.getHeight()).isEqualTo(30);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sixteenBitTiffs")
    void sixteenBitTiffIsAccepted(String name, BufferedImage image) throws IOException {
        byte[] tiff = TestImages.encode(image, "tiff");
        BufferedImage back = ImageIO.read(new ByteArrayInputStream(tiff));
        assertThat(back.getColorModel().getComponentSize(0))
                .as("precondition: 16 bits per sample")
                .isEqualTo(16);
        gate.send(key("S-1"), value(crop("c-1", "S-1", "scan-1", tiff).build()));

        // A valid crop: the gate records its real format and size; the job's decoder converts the
        // 16-bit samples to 8-bit RGB.
        CellCrop c = onlyAccepted().value();
        assertThat(c.getEncoding()).isEqualTo(ImageEncoding.TIFF);
        assertThat(c.getWidth()).isEqualTo(35);
        assertThat(c.getHeight()).isEqualTo(21);
        assertThat(bytes(c.getImage())).isEqualTo(tiff);
    }

    static Stream<Arguments> sixteenBitTiffs() {
        return Stream.of(
                Arguments.of(
                        "16-bit gray", TestImages.gray(35, 21, BufferedImage.TYPE_USHORT_GRAY)),
                Arguments.of("16-bit RGB (48 bpp)", TestImages.rgb16(35, 21)));
    }

    @Test
    void grayscaleJpegIsAccepted() {
        byte[] jpeg =
                TestImages.encode(TestImages.gray(30, 20, BufferedImage.TYPE_BYTE_GRAY), "jpeg");
        assertThat(TestImages.jpegComponents(jpeg)).as("precondition: 1 component").isEqualTo(1);
        gate.send(key("S-1"), value(crop("c-1", "S-1", "scan-1", jpeg).build()));

        CellCrop c = onlyAccepted().value();
        assertThat(c.getEncoding()).isEqualTo(ImageEncoding.JPEG);
        assertThat(c.getWidth()).isEqualTo(30);
    }

    @Test
    void metadataIsNormalised() {
        CellCrop in =
                crop("c-1", "S-1", "scan-1", neutrophilJpeg)
                        .setScannerId("  ")
                        .setMicronsPerPixel(Double.NaN)
                        .setReferenceLabel("  NGS ")
                        .build();
        gate.send(key("S-1"), value(in));

        CellCrop c = onlyAccepted().value();
        assertThat(c.getScannerId()).isEqualTo("unknown");
        assertThat(c.getMicronsPerPixel()).isNull();
        assertThat(c.getReferenceLabel()).isEqualTo("NGS");

        gate.send(
                key("S-1"),
                value(
                        crop("c-2", "S-1", "scan-1", neutrophilJpeg)
                                .setMicronsPerPixel(-0.1)
                                .setReferenceLabel(" ")
                                .build()));
        c = onlyAccepted().value();
        assertThat(c.getMicronsPerPixel()).isNull();
        assertThat(c.getReferenceLabel()).isNull();
    }

    @Test
    void smallestEdgeAllowedIsAccepted() {
        gate.send(key("S-1"), value(crop("c-1", "S-1", "scan-1", TestImages.png(8, 8)).build()));
        CellCrop c = onlyAccepted().value();
        assertThat(c.getWidth()).isEqualTo(8);
        assertThat(c.getHeight()).isEqualTo(8);
    }

    // ---------------------------------------------------------------- dead letters

    @Test
    void valueThatIsNotAvroIsBadSchemaAttributedToTheKey() {
        byte[] key = key("S-9");
        byte[] value = "{\"cellId\":\"c-1\",\"specimenId\":\"S-9\"}".getBytes(UTF_8);
        long offset = gate.send(key, value);

        DeadLetter d = onlyDeadLetter(offset, key, value, DeadLetterReason.BAD_SCHEMA, "S-9");
        assertThat(d.getSpecimenId()).isEqualTo("S-9");
        assertThat(d.getCellId()).isNull();
        assertThat(d.getDetail()).contains("CellCrop");
    }

    @Test
    void notAvroWithoutKeyIsBadSchemaUnderTheUnknownKey() {
        byte[] value = "garbage".getBytes(UTF_8);
        long offset = gate.send(null, value);

        DeadLetter d = onlyDeadLetter(offset, null, value, DeadLetterReason.BAD_SCHEMA, "unknown");
        assertThat(d.getSpecimenId()).isNull();
        assertThat(d.getCellId()).isNull();
    }

    @Test
    void nullValueIsBadSchema() {
        byte[] key = key("S-9");
        long offset = gate.send(key, null);

        DeadLetter d = onlyDeadLetter(offset, key, null, DeadLetterReason.BAD_SCHEMA, "S-9");
        assertThat(d.getOriginalValue()).isNull();
        assertThat(d.getSpecimenId()).isEqualTo("S-9");
    }

    @Test
    void recordOfAnotherAvroTypeIsBadSchema() {
        ScanEvent event =
                new ScanEvent("scan-1", "S-1", "scanner-7", ScanEventType.STARTED, CAPTURE, null);
        byte[] key = key("S-1");
        byte[] value = Topics.SCAN_EVENTS.serializeValue(event);
        long offset = gate.send(key, value);

        DeadLetter d = onlyDeadLetter(offset, key, value, DeadLetterReason.BAD_SCHEMA, "S-1");
        assertThat(d.getSpecimenId()).isEqualTo("S-1");
        assertThat(d.getCellId()).isNull();
        assertThat(d.getDetail()).contains("CellCrop");
    }

    @Test
    void corruptAvroBodyIsBadSchema() {
        byte[] good = value(crop("c-1", "S-1", "scan-1", neutrophilJpeg).build());
        // the single-object header is intact, the body stops in the middle of the first string
        byte[] value = Arrays.copyOf(good, 12);
        byte[] key = key("S-1");
        long offset = gate.send(key, value);

        onlyDeadLetter(offset, key, value, DeadLetterReason.BAD_SCHEMA, "S-1");
    }

    /** Avro reports an impossible length prefix with UnsupportedOperationException. */
    @Test
    void avroLengthBeyondTheJvmLimitIsBadSchema() {
        byte[] good = value(crop("c-1", "S-1", "scan-1", neutrophilJpeg).build());
        byte[] value = new byte[15];
        System.arraycopy(good, 0, value, 0, 10); // C3 01 + the CellCrop schema fingerprint
        // cellId length: zig-zag varint of 2^32
        byte[] hugeLength = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x20};
        System.arraycopy(hugeLength, 0, value, 10, 5);
        byte[] key = key("S-1");
        long offset = gate.send(key, value);

        onlyDeadLetter(offset, key, value, DeadLetterReason.BAD_SCHEMA, "S-1");
        // and the gate keeps going
        gate.send(key, value(crop("c-2", "S-1", "scan-1", neutrophilJpeg).build()));
        assertThat(gate.accepted()).hasSize(1);
    }

    static Stream<Arguments> missingIds() {
        List<Arguments> cases = new ArrayList<>();
        for (String field : List.of("cellId", "specimenId", "scanId")) {
            for (String blank : List.of("", "   ", "\t\n")) {
                cases.add(Arguments.of(field, blank));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} = \"{1}\"")
    @MethodSource("missingIds")
    void missingOrBlankIdIsMissingId(String field, String blank) {
        CellCrop.Builder b = crop(" c-1 ", " S-1 ", " scan-1 ", neutrophilJpeg);
        switch (field) {
            case "cellId" -> b.setCellId(blank);
            case "specimenId" -> b.setSpecimenId(blank);
            default -> b.setScanId(blank);
        }
        byte[] key = key("K-1");
        byte[] value = value(b.build());
        // without a specimen id in the record, the dead letter falls back to the record key
        String specimen = field.equals("specimenId") ? "K-1" : "S-1";
        long offset = gate.send(key, value);

        DeadLetter d = onlyDeadLetter(offset, key, value, DeadLetterReason.MISSING_ID, specimen);
        assertThat(d.getDetail()).contains(field);
        assertThat(d.getSpecimenId()).isEqualTo(specimen);
        assertThat(d.getCellId()).isEqualTo(field.equals("cellId") ? null : "c-1");
    }

    @Test
    void missingSpecimenIdIsMissingId() {
        byte[] key = key("K-1");
        byte[] value = value(crop("c-1", "", "scan-1", neutrophilJpeg).build());
        long offset = gate.send(key, value);

        DeadLetter d = onlyDeadLetter(offset, key, value, DeadLetterReason.MISSING_ID, "K-1");
        assertThat(d.getDetail()).isEqualTo("specimenId is missing");
        assertThat(d.getCellId()).isEqualTo("c-1");
    }

    @ParameterizedTest(name = "specimen id {index}")
    @ValueSource(strings = {"\u3000", "\u00a0\u2003", " \t "})
    void specimenIdOfUnicodeSpacesIsMissingId(String blank) {
        // trim() keeps Unicode spaces: such an id passed the gate and the job's isBlank check
        // then dead-lettered it (found by GateFuzzTest)
        byte[] key = key("K-1");
        byte[] value = value(crop("c-1", blank, "scan-1", neutrophilJpeg).build());
        long offset = gate.send(key, value);

        DeadLetter d = onlyDeadLetter(offset, key, value, DeadLetterReason.MISSING_ID, "K-1");
        assertThat(d.getDetail()).isEqualTo("specimenId is missing");
    }

    @ParameterizedTest(name = "specimen id {index}")
    @ValueSource(strings = {"\u0000", " \t\u0001 ", "S\u001B[0m", "S\u202E"})
    void specimenIdWithControlOrBidiCharactersIsInvalidId(String bad) {
        // Issue 20: such ids were stored as sent (NUL, ESC) or silently stripped at the ends.
        byte[] key = key("K-1");
        byte[] value = value(crop("c-1", bad, "scan-1", neutrophilJpeg).build());
        long offset = gate.send(key, value);

        DeadLetter d = onlyDeadLetter(offset, key, value, DeadLetterReason.INVALID_ID, "K-1");
        assertThat(d.getDetail()).startsWith("specimenId contains a");
        assertThat(d.getSpecimenId()).as("the broken id is left out").isEqualTo("K-1");
    }

    @Test
    void idsAreStrippedOfUnicodeSpaces() {
        gate.send(
                key("S-2"),
                value(crop("\u3000c-2 ", "\u00a0S-2\u2003", "\tscan-2", neutrophilJpeg).build()));
        TestRecord<String, CellCrop> out = onlyAccepted();
        assertThat(out.value().getCellId()).isEqualTo("c-2");
        assertThat(out.value().getSpecimenId()).isEqualTo("S-2");
        assertThat(out.value().getScanId()).isEqualTo("scan-2");
    }

    @Test
    void theSameCellIdUnderTwoSpecimensIsTwoCellsAndARepeatWithinOneIsADuplicate() {
        // Issue 20: the dedupe store was keyed by cell id alone (one partition, as here: the
        // second specimen's crop was dead-lettered as DUPLICATE_CELL).
        gate.send(key("A"), value(crop("c-1", "A", "scan-1", neutrophilJpeg).build()));
        gate.send(key("B"), value(crop("c-1", "B", "scan-1", neutrophilJpeg).build()));
        gate.send(key("B"), value(crop("c-1", "B", "scan-1", neutrophilJpeg).build()));
        assertThat(gate.accepted())
                .extracting(r -> r.value().getSpecimenId())
                .containsExactly("A", "B");
        assertThat(gate.dead())
                .singleElement()
                .satisfies(
                        d -> {
                            assertThat(d.value().getReason())
                                    .isEqualTo(DeadLetterReason.DUPLICATE_CELL);
                            assertThat(d.value().getSpecimenId()).isEqualTo("B");
                        });
    }

    @Test
    void aSpecimenAndCellThatConcatenateAlikeAreDifferentCells() {
        gate.send(key("a/b"), value(crop("c", "a/b", "scan-1", neutrophilJpeg).build()));
        gate.send(key("a"), value(crop("b/c", "a", "scan-1", neutrophilJpeg).build()));
        assertThat(gate.accepted()).hasSize(2);
        assertThat(gate.dead()).isEmpty();
    }

    @Test
    void cellCropOfAnUnknownSchemaVersionIsBadSchema() {
        // A scanner built against a CellCrop schema this gate was never told about: same name,
        // one more field. Single-object encoding names it by fingerprint, so it is refused
        // instead of being misread.
        Schema current = CellCrop.getClassSchema();
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field f : current.getFields()) {
            fields.add(new Schema.Field(f, f.schema()));
        }
        fields.add(new Schema.Field("stain", Schema.create(Schema.Type.STRING), null, null));
        Schema future =
                Schema.createRecord(current.getName(), null, current.getNamespace(), false, fields);
        GenericData.Record r = new GenericData.Record(future);
        CellCrop c = crop("c-1", "S-1", "scan-1", neutrophilJpeg).build();
        for (Schema.Field f : current.getFields()) {
            r.put(f.name(), c.get(f.name()));
        }
        r.put("captureTime", CAPTURE.toEpochMilli());
        r.put("stain", "MGG");
        byte[] value;
        try {
            ByteBuffer b =
                    new BinaryMessageEncoder<GenericData.Record>(GenericData.get(), future)
                            .encode(r);
            value = new byte[b.remaining()];
            b.get(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] key = key("S-1");
        long offset = gate.send(key, value);

        DeadLetter d = onlyDeadLetter(offset, key, value, DeadLetterReason.BAD_SCHEMA, "S-1");
        assertThat(d.getDetail()).contains("CellCrop");
    }

    @Test
    void emptyRecordValueIsBadSchema() {
        byte[] key = key("S-1");
        byte[] value = new byte[0];
        long offset = gate.send(key, value);

        DeadLetter d = onlyDeadLetter(offset, key, value, DeadLetterReason.BAD_SCHEMA, "S-1");
        assertThat(d.getDetail()).contains("empty");
    }

    @Test
    void truncatedJpegIsUndecodable() {
        byte[] half = Arrays.copyOf(neutrophilJpeg, neutrophilJpeg.length / 2);
        byte[] key = key("S-1");
        byte[] value = value(crop("c-1", "S-1", "scan-1", half).build());
        long offset = gate.send(key, value);

        // The header of a half JPEG reads fine; the segment walk finds no end-of-image marker.
        DeadLetter d =
                onlyDeadLetter(offset, key, value, DeadLetterReason.UNDECODABLE_IMAGE, "S-1");
        assertThat(d.getDetail()).startsWith("truncated JPEG");
        assertThat(d.getCellId()).isEqualTo("c-1");
    }

    @Test
    void truncatedPngIsUndecodable() {
        byte[] png = TestImages.png(64, 48);
        byte[] cut = Arrays.copyOf(png, png.length * 2 / 3);
        byte[] key = key("S-1");
        byte[] value = value(crop("c-1", "S-1", "scan-1", cut).build());
        long offset = gate.send(key, value);

        DeadLetter d =
                onlyDeadLetter(offset, key, value, DeadLetterReason.UNDECODABLE_IMAGE, "S-1");
        assertThat(d.getDetail()).startsWith("truncated PNG").contains("IDAT");
    }

    @Test
    void truncatedBmpIsUndecodable() {
        byte[] bmp = TestImages.encode(TestImages.rgb(20, 20), "bmp");
        byte[] key = key("S-1");
        byte[] value =
                value(crop("c-1", "S-1", "scan-1", Arrays.copyOf(bmp, bmp.length - 100)).build());
        long offset = gate.send(key, value);

        DeadLetter d =
                onlyDeadLetter(offset, key, value, DeadLetterReason.UNDECODABLE_IMAGE, "S-1");
        assertThat(d.getDetail()).startsWith("truncated BMP");
    }

    @Test
    void completeImagesWithTrailingBytesAreAccepted() {
        // Some cameras append data after the end-of-image marker; the image itself is whole.
        byte[] jpeg = Arrays.copyOf(neutrophilJpeg, neutrophilJpeg.length + 64);
        byte[] png = TestImages.png(20, 20);
        png = Arrays.copyOf(png, png.length + 16);
        gate.send(key("S-1"), value(crop("c-1", "S-1", "scan-1", jpeg).build()));
        gate.send(key("S-1"), value(crop("c-2", "S-1", "scan-1", png).build()));
        assertThat(gate.dead()).isEmpty();
        assertThat(gate.accepted()).hasSize(2);
    }

    // ---------------------------------------------------------------- dedupe

    @Test
    void duplicateCellIdIsDuplicateCell() {
        byte[] key = key("S-1");
        byte[] first = value(crop("c-1", "S-1", "scan-1", neutrophilJpeg).build());
        long firstOffset = gate.send(key, first, GateHarness.START);
        assertThat(onlyAccepted().value().getCellId()).isEqualTo("c-1");

        // the same crop again, a minute later (a feed that resent it after a restart), with
        // whitespace around the id: ids are compared after normalisation
        byte[] again = value(crop(" c-1 ", "S-1", "scan-1", neutrophilJpeg).build());
        long offset = gate.send(key, again, GateHarness.START.plusSeconds(60));

        DeadLetter d = onlyDeadLetter(offset, key, again, DeadLetterReason.DUPLICATE_CELL, "S-1");
        assertThat(d.getCellId()).isEqualTo("c-1");
        assertThat(d.getSpecimenId()).isEqualTo("S-1");
        assertThat(d.getDetail())
                .contains("already accepted")
                .contains("cells.raw-0@" + firstOffset)
                .contains("same image bytes");

        // other cells keep flowing
        gate.send(key, value(crop("c-2", "S-1", "scan-1", neutrophilJpeg).build()));
        assertThat(onlyAccepted().value().getCellId()).isEqualTo("c-2");
    }

    @Test
    void duplicateWithOtherImageBytesSaysSo() {
        gate.send(key("S-1"), value(crop("c-1", "S-1", "scan-1", neutrophilJpeg).build()));
        gate.accepted();
        byte[] other = value(crop("c-1", "S-1", "scan-1", TestImages.png(20, 20)).build());
        long offset = gate.send(key("S-1"), other);

        DeadLetter d =
                onlyDeadLetter(offset, key("S-1"), other, DeadLetterReason.DUPLICATE_CELL, "S-1");
        assertThat(d.getDetail()).contains("different image bytes");
    }

    @Test
    void resendOfADeadLetteredCellIsADuplicateNotASecondLoss() {
        byte[] empty = value(crop("c-1", "S-1", "scan-1", new byte[0]).build());
        gate.send(key("S-1"), empty);
        assertThat(gate.dead())
                .singleElement()
                .extracting(r -> r.value().getReason())
                .isEqualTo(DeadLetterReason.EMPTY_IMAGE);

        // the first decision for a cell id is the only one: the job counts one loss, not two
        byte[] fixed = value(crop("c-1", "S-1", "scan-1", neutrophilJpeg).build());
        long offset = gate.send(key("S-1"), fixed);
        DeadLetter d =
                onlyDeadLetter(offset, key("S-1"), fixed, DeadLetterReason.DUPLICATE_CELL, "S-1");
        assertThat(d.getDetail()).contains("already dead-lettered (EMPTY_IMAGE)");
    }

    @Test
    void aCellIdIsForgottenAfterTheDedupeWindow() {
        GateConfig hour = GateConfig.DEFAULT.withDedupeWindow(Duration.ofHours(1));
        byte[] value = value(crop("c-1", "S-1", "scan-1", neutrophilJpeg).build());
        // the production store (RocksDB), whose segments expire by stream time
        try (GateHarness g = new GateHarness(hour, false)) {
            g.send(key("S-1"), value, GateHarness.START);
            g.send(key("S-1"), value, GateHarness.START.plus(Duration.ofMinutes(59)));
            assertThat(g.accepted()).hasSize(1);
            assertThat(g.dead())
                    .singleElement()
                    .extracting(r -> r.value().getReason())
                    .isEqualTo(DeadLetterReason.DUPLICATE_CELL);

            // stream time moves on (other cells), well past the window
            for (int i = 0; i < 3; i++) {
                g.send(
                        key("S-2"),
                        value(crop("x-" + i, "S-2", "scan-2", neutrophilJpeg).build()),
                        GateHarness.START.plus(Duration.ofHours(3 + i)));
            }
            assertThat(g.accepted()).hasSize(3);
            g.send(key("S-1"), value, GateHarness.START.plus(Duration.ofHours(6)));
            assertThat(g.dead()).isEmpty();
            assertThat(g.accepted())
                    .singleElement()
                    .extracting(r -> r.value().getCellId())
                    .isEqualTo("c-1");
        }
    }

    @Test
    void recordsWithoutUsableIdsTakeNoPartInDedupe() {
        byte[] noSpecimen = value(crop("c-1", "", "scan-1", neutrophilJpeg).build());
        gate.send(key("S-1"), noSpecimen);
        gate.send(key("S-1"), noSpecimen);
        assertThat(gate.dead())
                .extracting(r -> r.value().getReason())
                .containsExactly(DeadLetterReason.MISSING_ID, DeadLetterReason.MISSING_ID);
        // once repaired, the cell is accepted: a MISSING_ID record was never "this cell"
        gate.send(key("S-1"), value(crop("c-1", "S-1", "scan-1", neutrophilJpeg).build()));
        assertThat(gate.accepted()).hasSize(1);
    }

    @Test
    void emptyImageIsEmptyImage() {
        byte[] key = key("S-1");
        byte[] value = value(crop("c-1", "S-1", "scan-1", new byte[0]).build());
        long offset = gate.send(key, value);

        DeadLetter d = onlyDeadLetter(offset, key, value, DeadLetterReason.EMPTY_IMAGE, "S-1");
        assertThat(d.getCellId()).isEqualTo("c-1");
        assertThat(d.getSpecimenId()).isEqualTo("S-1");
    }

    static Stream<Arguments> notImages() {
        byte[] random = new byte[512];
        new Random(7).nextBytes(random);
        byte[] pngSignatureThenGarbage = Arrays.copyOf(TestImages.png(16, 16), 40);
        Arrays.fill(pngSignatureThenGarbage, 8, 40, (byte) 0x5A);
        byte[] jpegSoiThenGarbage = new byte[64];
        Arrays.fill(jpegSoiThenGarbage, (byte) 0x11);
        jpegSoiThenGarbage[0] = (byte) 0xFF;
        jpegSoiThenGarbage[1] = (byte) 0xD8;
        jpegSoiThenGarbage[2] = (byte) 0xFF;
        return Stream.of(
                Arguments.of("text", "this is not an image".getBytes(UTF_8)),
                Arguments.of("random bytes", random),
                Arguments.of("PNG signature, garbage header", pngSignatureThenGarbage),
                Arguments.of("JPEG SOI, garbage after", jpegSoiThenGarbage));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notImages")
    void bytesThatAreNoReadableImageAreUndecodable(String name, byte[] image) {
        byte[] key = key("S-1");
        byte[] value = value(crop("c-1", "S-1", "scan-1", image).build());
        long offset = gate.send(key, value);

        DeadLetter d =
                onlyDeadLetter(offset, key, value, DeadLetterReason.UNDECODABLE_IMAGE, "S-1");
        assertThat(d.getCellId()).isEqualTo("c-1");
        assertThat(d.getSpecimenId()).isEqualTo("S-1");
    }

    @Test
    void imageOverTheByteLimitIsTooLarge() {
        GateConfig tight =
                new GateConfig(
                        neutrophilJpeg.length - 1,
                        GateConfig.DEFAULT.maxPixels(),
                        GateConfig.DEFAULT.minEdge());
        byte[] key = key("S-1");
        byte[] value = value(crop("c-1", "S-1", "scan-1", neutrophilJpeg).build());
        try (GateHarness small = new GateHarness(tight)) {
            long offset = small.send(key, value);
            assertThat(small.accepted()).isEmpty();
            List<TestRecord<String, DeadLetter>> dead = small.dead();
            assertThat(dead).hasSize(1);
            assertDeadLetter(
                    dead.get(0), offset, key, value, DeadLetterReason.IMAGE_TOO_LARGE, "S-1");
            assertThat(dead.get(0).value().getDetail())
                    .contains(String.valueOf(neutrophilJpeg.length))
                    .contains(String.valueOf(neutrophilJpeg.length - 1));
            assertThat(dead.get(0).value().getCellId()).isEqualTo("c-1");
        }
        // exactly at the limit is fine
        GateConfig exact =
                new GateConfig(
                        neutrophilJpeg.length,
                        GateConfig.DEFAULT.maxPixels(),
                        GateConfig.DEFAULT.minEdge());
        try (GateHarness atLimit = new GateHarness(exact)) {
            atLimit.send(key, value);
            assertThat(atLimit.dead()).isEmpty();
            assertThat(atLimit.accepted()).hasSize(1);
        }
    }

    @Test
    void imageOverTheDefaultByteLimitIsTooLarge() {
        byte[] image = new byte[GateConfig.DEFAULT.maxImageBytes() + 1];
        System.arraycopy(neutrophilJpeg, 0, image, 0, neutrophilJpeg.length);
        byte[] key = key("S-1");
        byte[] value = value(crop("c-1", "S-1", "scan-1", image).build());
        long offset = gate.send(key, value);

        onlyDeadLetter(offset, key, value, DeadLetterReason.IMAGE_TOO_LARGE, "S-1");
    }

    @Test
    void decompressionBombIsRejectedFromItsHeader() {
        byte[] bomb = TestImages.pngClaiming(20000, 20000);
        assertThat(bomb.length).as("precondition: a tiny file").isLessThan(100);
        byte[] key = key("S-1");
        byte[] value = value(crop("c-1", "S-1", "scan-1", bomb).build());
        long offset = gate.send(key, value);

        DeadLetter d = onlyDeadLetter(offset, key, value, DeadLetterReason.IMAGE_TOO_LARGE, "S-1");
        // rejected on the claimed pixel count, not on bytes: decoding would need 400 MB
        assertThat(d.getDetail()).contains("20000x20000");
        assertThat(d.getCellId()).isEqualTo("c-1");
    }

    @Test
    void jpegClaiming20000x20000IsTooLarge() {
        byte[] bomb = TestImages.jpegClaiming(20000, 20000);
        byte[] key = key("S-1");
        byte[] value = value(crop("c-1", "S-1", "scan-1", bomb).build());
        long offset = gate.send(key, value);

        DeadLetter d = onlyDeadLetter(offset, key, value, DeadLetterReason.IMAGE_TOO_LARGE, "S-1");
        assertThat(d.getDetail()).contains("20000x20000");
    }

    @Test
    void pixelLimitIsInclusive() {
        GateConfig config =
                new GateConfig(GateConfig.DEFAULT.maxImageBytes(), 100L * 100L, /* minEdge */ 8);
        try (GateHarness g = new GateHarness(config)) {
            g.send(
                    key("S-1"),
                    value(crop("c-1", "S-1", "scan-1", TestImages.png(100, 100)).build()));
            assertThat(g.accepted()).hasSize(1);
            assertThat(g.dead()).isEmpty();

            byte[] value = value(crop("c-2", "S-1", "scan-1", TestImages.png(101, 100)).build());
            long offset = g.send(key("S-1"), value);
            assertThat(g.accepted()).isEmpty();
            List<TestRecord<String, DeadLetter>> dead = g.dead();
            assertThat(dead).hasSize(1);
            assertDeadLetter(
                    dead.get(0),
                    offset,
                    key("S-1"),
                    value,
                    DeadLetterReason.IMAGE_TOO_LARGE,
                    "S-1");
            assertThat(dead.get(0).value().getDetail()).contains("101x100");
        }
    }

    @ParameterizedTest(name = "{0}x{1}")
    @MethodSource("tooSmall")
    void imageBelowTheMinimumEdgeHasBadDimensions(int width, int height) {
        byte[] key = key("S-1");
        byte[] value = value(crop("c-1", "S-1", "scan-1", TestImages.png(width, height)).build());
        long offset = gate.send(key, value);

        DeadLetter d = onlyDeadLetter(offset, key, value, DeadLetterReason.BAD_DIMENSIONS, "S-1");
        assertThat(d.getDetail()).contains(width + "x" + height);
        assertThat(d.getCellId()).isEqualTo("c-1");
    }

    static Stream<Arguments> tooSmall() {
        return Stream.of(Arguments.of(7, 8), Arguments.of(8, 7), Arguments.of(1, 1));
    }

    @ParameterizedTest(name = "{0}x{1}")
    @MethodSource("zeroSized")
    void pngClaimingAZeroEdgeHasBadDimensions(int width, int height) {
        byte[] key = key("S-1");
        byte[] value =
                value(crop("c-1", "S-1", "scan-1", TestImages.pngClaiming(width, height)).build());
        long offset = gate.send(key, value);

        // ImageIO refuses to read such a header at all; the gate reads IHDR itself so the reason
        // says what is wrong.
        DeadLetter d = onlyDeadLetter(offset, key, value, DeadLetterReason.BAD_DIMENSIONS, "S-1");
        assertThat(d.getDetail()).contains(width + "x" + height);
    }

    @Test
    void zeroByZeroJpegHasBadDimensions() {
        byte[] key = key("S-1");
        byte[] value = value(crop("c-1", "S-1", "scan-1", TestImages.jpegClaiming(0, 0)).build());
        long offset = gate.send(key, value);

        DeadLetter d = onlyDeadLetter(offset, key, value, DeadLetterReason.BAD_DIMENSIONS, "S-1");
        assertThat(d.getDetail()).contains("0x0");
    }

    static Stream<Arguments> zeroSized() {
        return Stream.of(Arguments.of(0, 16), Arguments.of(16, 0), Arguments.of(0, 0));
    }

    // ---------------------------------------------------------------- resilience

    private record Case(String name, byte[] key, byte[] value, DeadLetterReason reason) {}

    @Test
    void mixedSequenceYieldsExactlyOneOutputPerInputAndTheGateKeepsRunning() {
        byte[] big = new byte[GateConfig.DEFAULT.maxImageBytes() + 1];
        System.arraycopy(neutrophilJpeg, 0, big, 0, neutrophilJpeg.length);
        byte[] garbagePng = Arrays.copyOf(TestImages.png(16, 16), 40);
        Arrays.fill(garbagePng, 8, 40, (byte) 0x5A);
        ScanEvent event =
                new ScanEvent("scan-1", "S-1", "scanner-7", ScanEventType.STARTED, CAPTURE, null);

        List<Case> cases = new ArrayList<>();
        cases.add(good(0, neutrophilJpeg));
        cases.add(
                new Case(
                        "not avro",
                        key("S-1"),
                        "nope".getBytes(UTF_8),
                        DeadLetterReason.BAD_SCHEMA));
        cases.add(
                new Case(
                        "scan event",
                        key("S-1"),
                        Topics.SCAN_EVENTS.serializeValue(event),
                        DeadLetterReason.BAD_SCHEMA));
        cases.add(bad(3, crop(" ", "S-1", "scan-1", neutrophilJpeg), DeadLetterReason.MISSING_ID));
        cases.add(bad(4, crop("m-4", "", "scan-1", neutrophilJpeg), DeadLetterReason.MISSING_ID));
        cases.add(bad(5, crop("m-5", "S-1", "\t", neutrophilJpeg), DeadLetterReason.MISSING_ID));
        cases.add(bad(6, crop("m-6", "S-1", "scan-1", new byte[0]), DeadLetterReason.EMPTY_IMAGE));
        cases.add(
                bad(
                        7,
                        crop("m-7", "S-1", "scan-1", "not an image".getBytes(UTF_8)),
                        DeadLetterReason.UNDECODABLE_IMAGE));
        cases.add(
                bad(
                        8,
                        crop("m-8", "S-1", "scan-1", TestImages.pngClaiming(20000, 20000)),
                        DeadLetterReason.IMAGE_TOO_LARGE));
        cases.add(
                bad(
                        9,
                        crop("m-9", "S-1", "scan-1", TestImages.pngClaiming(0, 16)),
                        DeadLetterReason.BAD_DIMENSIONS));
        cases.add(
                bad(
                        10,
                        crop("m-10", "S-1", "scan-1", TestImages.png(4, 4)),
                        DeadLetterReason.BAD_DIMENSIONS));
        cases.add(good(11, TestImages.png(30, 20)));
        cases.add(new Case("tombstone", key("S-1"), null, DeadLetterReason.BAD_SCHEMA));
        cases.add(
                bad(
                        13,
                        crop(
                                "m-13",
                                "S-1",
                                "scan-1",
                                Arrays.copyOf(neutrophilJpeg, neutrophilJpeg.length / 2)),
                        DeadLetterReason.UNDECODABLE_IMAGE));
        cases.add(good(14, TestImages.cmykJpeg(24, 24)));
        cases.add(
                bad(
                        15,
                        crop("m-15", "S-1", "scan-1", garbagePng),
                        DeadLetterReason.UNDECODABLE_IMAGE));
        cases.add(good(16, TestImages.encode(TestImages.rgb(12, 12), "bmp")));
        cases.add(new Case("no key", null, "x".getBytes(UTF_8), DeadLetterReason.BAD_SCHEMA));
        cases.add(bad(18, crop("m-18", "S-1", "scan-1", big), DeadLetterReason.IMAGE_TOO_LARGE));
        cases.add(good(19, TestImages.encode(TestImages.rgb(20, 20), "tiff")));
        byte[] png = TestImages.png(30, 30);
        cases.add(
                bad(
                        20,
                        crop("m-20", "S-1", "scan-1", Arrays.copyOf(png, png.length / 2)),
                        DeadLetterReason.UNDECODABLE_IMAGE));
        cases.add(
                good(
                        21,
                        TestImages.encode(
                                TestImages.gray(20, 20, BufferedImage.TYPE_USHORT_GRAY), "tiff")));
        cases.add(
                bad(
                        22,
                        crop("g-19", "S-1", "scan-1", neutrophilJpeg),
                        DeadLetterReason.DUPLICATE_CELL));
        cases.add(
                bad(
                        23,
                        crop("m-23", "S-1", "scan-1", TestImages.jpegClaiming(0, 0)),
                        DeadLetterReason.BAD_DIMENSIONS));
        cases.add(good(24, TestImages.encode(TestImages.rgb16(20, 20), "tiff")));
        assertThat(cases).hasSize(25);

        Map<Long, Case> byOffset = new HashMap<>();
        for (Case c : cases) {
            byOffset.put(gate.send(c.key(), c.value()), c);
        }

        List<TestRecord<String, CellCrop>> accepted = gate.accepted();
        List<TestRecord<String, DeadLetter>> dead = gate.dead();
        assertThat(accepted.size() + dead.size()).isEqualTo(cases.size());

        Map<Long, String> outcome = new HashMap<>();
        for (TestRecord<String, CellCrop> r : accepted) {
            long offset = PREAMBLE + Long.parseLong(r.value().getCellId().substring(2));
            assertThat(outcome.put(offset, "ACCEPTED")).as("offset %d twice", offset).isNull();
            assertThat(r.key()).isEqualTo("S-1");
        }
        for (TestRecord<String, DeadLetter> r : dead) {
            DeadLetter d = r.value();
            assertThat(outcome.put(d.getSourceOffset(), d.getReason().name()))
                    .as("offset %d twice", d.getSourceOffset())
                    .isNull();
            Case c = byOffset.get(d.getSourceOffset());
            assertThat(c).as("dead letter for an offset never sent").isNotNull();
            assertThat(bytes(d.getOriginalValue())).as(c.name()).isEqualTo(c.value());
            assertThat(d.getStage()).isEqualTo("gate");
        }
        assertThat(outcome).hasSize(cases.size());
        for (Map.Entry<Long, Case> e : byOffset.entrySet()) {
            Case c = e.getValue();
            String expected = c.reason() == null ? "ACCEPTED" : c.reason().name();
            assertThat(outcome.get(e.getKey())).as(c.name()).isEqualTo(expected);
        }
        // the last record, after every kind of bad input, was a good crop and went through
        assertThat(accepted.get(accepted.size() - 1).value().getCellId()).isEqualTo("g-24");
    }

    @Test
    void damagedImageHeadersNeverStopTheGate() {
        List<byte[]> seeds =
                List.of(
                        neutrophilJpeg,
                        TestImages.png(40, 24),
                        TestImages.encode(TestImages.rgb(40, 24), "bmp"),
                        TestImages.encode(TestImages.rgb(40, 24), "tiff"),
                        TestImages.cmykJpeg(40, 24));
        Random random = new Random(20260203);
        int n = 1500;
        for (int i = 0; i < n; i++) {
            byte[] image = seeds.get(i % seeds.size()).clone();
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                image[random.nextInt(Math.min(160, image.length))] = (byte) random.nextInt(256);
            }
            gate.send(key("S-1"), value(crop("f-" + i, "S-1", "scan-1", image).build()));
        }
        List<TestRecord<String, CellCrop>> accepted = gate.accepted();
        List<TestRecord<String, DeadLetter>> dead = gate.dead();
        assertThat(accepted.size() + dead.size()).isEqualTo(n);
        assertThat(dead)
                .allSatisfy(
                        r ->
                                assertThat(r.value().getReason())
                                        .isIn(
                                                DeadLetterReason.UNDECODABLE_IMAGE,
                                                DeadLetterReason.BAD_DIMENSIONS,
                                                DeadLetterReason.IMAGE_TOO_LARGE));
        assertThat(accepted)
                .allSatisfy(
                        r -> {
                            CellCrop c = r.value();
                            assertThat(c.getWidth()).isGreaterThanOrEqualTo(8);
                            assertThat(c.getHeight()).isGreaterThanOrEqualTo(8);
                            assertThat((long) c.getWidth() * c.getHeight())
                                    .isLessThanOrEqualTo(GateConfig.DEFAULT.maxPixels());
                        });
    }

    @Test
    void damagedAvroRecordsNeverStopTheGate() {
        byte[] good = value(crop("c-1", "S-1", "scan-1", neutrophilJpeg).build());
        Random random = new Random(1);
        int n = 3000;
        for (int i = 0; i < n; i++) {
            byte[] value = good.clone();
            // keep the 10-byte single-object header, so the body is what gets parsed
            int flips = 1 + random.nextInt(4);
            for (int f = 0; f < flips; f++) {
                value[10 + random.nextInt(60)] = (byte) random.nextInt(256);
            }
            if (random.nextInt(4) == 0) {
                value = Arrays.copyOf(value, 10 + random.nextInt(value.length - 10));
            }
            gate.send(key("S-1"), value);
        }
        assertThat(gate.accepted().size() + gate.dead().size()).isEqualTo(n);
    }

    @Test
    void gateConfigRejectsNonPositiveLimits() {
        assertThatThrownBy(() -> new GateConfig(0, 1, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GateConfig(1, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GateConfig(1, 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new GateConfig(1, 1, 1).maxImageBytes()).isEqualTo(1);
    }

    // ---------------------------------------------------------------- helpers

    private Case good(int i, byte[] image) {
        return new Case(
                "good " + i,
                key("S-1"),
                value(crop("g-" + i, "S-1", "scan-1", image).build()),
                null);
    }

    private Case bad(int i, CellCrop.Builder crop, DeadLetterReason reason) {
        return new Case("bad " + i + " " + reason, key("S-1"), value(crop.build()), reason);
    }

    private static CellCrop.Builder crop(
            String cellId, String specimenId, String scanId, byte[] image) {
        return CellCrop.newBuilder()
                .setCellId(cellId)
                .setSpecimenId(specimenId)
                .setScanId(scanId)
                .setScannerId("scanner-7")
                .setCaptureTime(CAPTURE)
                .setImage(ByteBuffer.wrap(image))
                .setEncoding(ImageEncoding.UNKNOWN)
                .setWidth(0)
                .setHeight(0);
    }

    private static byte[] value(CellCrop crop) {
        return Topics.CELLS_RAW.serializeValue(crop);
    }

    private static byte[] key(String specimen) {
        return specimen.getBytes(UTF_8);
    }

    private TestRecord<String, CellCrop> onlyAccepted() {
        assertThat(gate.dead()).as("dead letters").isEmpty();
        List<TestRecord<String, CellCrop>> accepted = gate.accepted();
        assertThat(accepted).hasSize(1);
        return accepted.get(0);
    }

    private DeadLetter onlyDeadLetter(
            long offset, byte[] key, byte[] value, DeadLetterReason reason, String expectedKey) {
        assertThat(gate.accepted()).as("accepted").isEmpty();
        List<TestRecord<String, DeadLetter>> dead = gate.dead();
        assertThat(dead).hasSize(1);
        assertDeadLetter(dead.get(0), offset, key, value, reason, expectedKey);
        return dead.get(0).value();
    }

    private static void assertDeadLetter(
            TestRecord<String, DeadLetter> record,
            long offset,
            byte[] key,
            byte[] value,
            DeadLetterReason reason,
            String expectedKey) {
        DeadLetter d = record.value();
        assertThat(d.getReason()).as("reason (detail: %s)", d.getDetail()).isEqualTo(reason);
        assertThat(d.getStage()).isEqualTo("gate");
        assertThat(d.getSourceTopic()).isEqualTo(Topics.CELLS_RAW.name());
        assertThat(d.getSourcePartition()).isZero();
        assertThat(d.getSourceOffset()).isEqualTo(offset);
        assertThat(bytes(d.getOriginalValue())).as("original value").isEqualTo(value);
        assertThat(bytes(d.getOriginalKey())).as("original key").isEqualTo(key);
        assertThat(d.getDetail()).isNotBlank();
        assertThat(d.getDeadTime()).isNotNull();
        assertThat(record.key()).as("output key").isEqualTo(expectedKey);
    }
}
