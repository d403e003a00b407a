package org.bloomstream.inference.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.bloomstream.inference.image.AlphaPolicy;
import org.bloomstream.inference.image.ImageLimits;
import org.bloomstream.inference.types.DecodedCrop;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CropDecodeFunctionTest {
    private OneInputStreamOperatorTestHarness<SourceRecord, DecodedCrop> h;
    private long offset;

    @BeforeEach
    void open() throws Exception {
        h =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(new CropDecodeFunction(224, ImageLimits.DEFAULT)));
        h.open();
    }

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    static byte[] jpeg(int w, int h) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        img.setRGB(w / 2, h / 2, 0xff0000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "jpeg", out);
        return out.toByteArray();
    }

    static CellCrop crop(String cellId, byte[] image) {
        return CellCrop.newBuilder()
                .setCellId(cellId)
                .setSpecimenId("SPC-1")
                .setScanId("scan-1")
                .setScannerId("scanner")
                .setCaptureTime(Instant.ofEpochMilli(5))
                .setImage(ByteBuffer.wrap(image))
                .setEncoding(ImageEncoding.JPEG)
                .setWidth(0)
                .setHeight(0)
                .setReferenceLabel("blast")
                .build();
    }

    private void send(byte[] value) throws Exception {
        h.processElement(record(offset++, value));
    }

    /** A crop's record as the source reads it from {@code cells.accepted}. */
    static StreamRecord<SourceRecord> record(long offset, byte[] value) {
        return new StreamRecord<>(
                new SourceRecord("cells.accepted", 1, offset, 1234L, "SPC-1".getBytes(), value));
    }

    private List<DeadLetter> dead() {
        var q = h.getSideOutput(CropDecodeFunction.DEAD);
        return q == null ? List.of() : q.stream().map(StreamRecord::getValue).toList();
    }

    @Test
    void decodesAndResizesAnyCropToTheModelSize() throws Exception {
        send(Topics.CELLS_ACCEPTED.serializeValue(crop("c1", jpeg(97, 131))));
        DecodedCrop out = h.extractOutputValues().get(0);
        assertThat(out.size).isEqualTo(224);
        assertThat(out.rgb).hasSize(224 * 224 * 3);
        assertThat(out.meta.cellId).isEqualTo("c1");
        assertThat(out.meta.referenceLabel).isEqualTo("blast");
        assertThat(out.meta.ingestTime).isEqualTo(1234L);
        assertThat(out.meta.sourcePartition).isEqualTo(1);
        assertThat(out.meta.alphaPolicy).isEqualTo("drop");
        assertThat(dead()).isEmpty();
    }

    @Test
    void withResizeInTheGraphTheCropKeepsItsDecodedSize() throws Exception {
        var raw =
                new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(
                                new CropDecodeFunction(
                                        224,
                                        ImageLimits.DEFAULT,
                                        org.bloomstream.inference.image.AlphaPolicy.DROP,
                                        true)));
        raw.open();
        try {
            raw.processElement(
                    record(0, Topics.CELLS_ACCEPTED.serializeValue(crop("c1", jpeg(97, 131)))));
            raw.processElement(
                    record(1, Topics.CELLS_ACCEPTED.serializeValue(crop("c2", jpeg(224, 224)))));
            DecodedCrop out = raw.extractOutputValues().get(0);
            assertThat(out.size).isZero();
            assertThat(out.width).isEqualTo(97);
            assertThat(out.height).isEqualTo(131);
            assertThat(out.meta.cellId).isEqualTo("c1");
            // BGR as decoded (the graph reorders), not RGB
            var decoder = new org.bloomstream.inference.image.CropImageDecoder(ImageLimits.DEFAULT);
            var image = decoder.decode(jpeg(97, 131));
            assertThat(out.rgb)
                    .isEqualTo(org.bloomstream.inference.image.AntialiasedResize.bgrBytes(image))
                    .isNotEqualTo(
                            org.bloomstream.inference.image.AntialiasedResize.rgbBytes(image));
            // Already at the model's size: no resize to do, so an ordinary RGB crop.
            DecodedCrop same = raw.extractOutputValues().get(1);
            assertThat(same.size).isEqualTo(224);
            assertThat(same.rgb)
                    .isEqualTo(
                            org.bloomstream.inference.image.AntialiasedResize.rgbBytes(
                                    decoder.decode(jpeg(224, 224))));
        } finally {
            raw.close();
        }
    }

    /** A red crop whose left half is fully transparent, as some exporters write them. */
    static byte[] halfTransparentPng() throws Exception {
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, (x < 32 ? 0x00 : 0xff) << 24 | 0xff0000);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    @Test
    void theAlphaPolicyDecidesTheTransparentPixelsAndIsRecorded() throws Exception {
        byte[] value = Topics.CELLS_ACCEPTED.serializeValue(crop("c1", halfTransparentPng()));
        send(value);
        DecodedCrop dropped = h.extractOutputValues().get(0);
        try (var white =
                new OneInputStreamOperatorTestHarness<SourceRecord, DecodedCrop>(
                        new ProcessOperator<>(
                                new CropDecodeFunction(
                                        224, ImageLimits.DEFAULT, AlphaPolicy.WHITE)))) {
            white.open();
            white.processElement(record(0, value));
            DecodedCrop composited = white.extractOutputValues().get(0);
            // left edge, middle row: Pillow's convert("RGB") keeps the red under alpha 0
            int px = (112 * 224 + 2) * 3;
            assertThat(Arrays.copyOfRange(dropped.rgb, px, px + 3))
                    .containsExactly((byte) 0xff, 0, 0);
            assertThat(Arrays.copyOfRange(composited.rgb, px, px + 3))
                    .containsExactly((byte) 0xff, (byte) 0xff, (byte) 0xff);
            assertThat(dropped.meta.alphaPolicy).isEqualTo("drop");
            assertThat(composited.meta.alphaPolicy).isEqualTo("white");
        }
    }

    @Test
    void everyKindOfBadRecordBecomesOneDeadLetterWithItsReason() throws Exception {
        send("not avro".getBytes(StandardCharsets.UTF_8));
        send(Topics.CELLS_ACCEPTED.serializeValue(crop(" ", jpeg(50, 50))));
        byte[] j = jpeg(80, 80);
        send(Topics.CELLS_ACCEPTED.serializeValue(crop("c3", Arrays.copyOf(j, j.length / 2))));
        send(Topics.CELLS_ACCEPTED.serializeValue(crop("c4", new byte[0])));
        assertThat(h.extractOutputValues()).isEmpty();
        assertThat(dead())
                .extracting(DeadLetter::getReason)
                .containsExactly(
                        DeadLetterReason.BAD_SCHEMA,
                        DeadLetterReason.MISSING_ID,
                        DeadLetterReason.UNDECODABLE_IMAGE,
                        DeadLetterReason.EMPTY_IMAGE);
        DeadLetter truncated = dead().get(2);
        assertThat(truncated.getCellId()).isEqualTo("c3");
        assertThat(truncated.getSpecimenId()).isEqualTo("SPC-1");
        assertThat(truncated.getStage()).isEqualTo("decode");
        assertThat(truncated.getSourceOffset()).isEqualTo(2L);
        assertThat(truncated.getOriginalValue()).isNotNull();
        // And the function is still fine afterwards.
        send(Topics.CELLS_ACCEPTED.serializeValue(crop("c5", jpeg(64, 64))));
        assertThat(h.extractOutputValues()).hasSize(1);
    }

    @Test
    void imageBytesAreAvrosOwnArrayWhenTheBufferWrapsItWhole() {
        byte[] whole = {1, 2, 3, 4};

        assertThat(CropDecodeFunction.imageBytes(ByteBuffer.wrap(whole))).isSameAs(whole);
    }

    @Test
    void imageBytesAreCopiedWhenTheBufferIsPartOfAnArray() {
        byte[] backing = {9, 1, 2, 3, 9};
        ByteBuffer slice = ByteBuffer.wrap(backing, 1, 3).slice();
        ByteBuffer window = ByteBuffer.wrap(backing, 1, 3);

        assertThat(CropDecodeFunction.imageBytes(slice)).containsExactly(1, 2, 3);
        assertThat(CropDecodeFunction.imageBytes(window)).containsExactly(1, 2, 3);
        assertThat(window.position()).as("the buffer is left as it was").isEqualTo(1);
        ByteBuffer direct = ByteBuffer.allocateDirect(2).put(new byte[] {7, 8}).flip();
        assertThat(CropDecodeFunction.imageBytes(direct)).containsExactly(7, 8);
    }
}
