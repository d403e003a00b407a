package org.bloomstream.inference.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CropImageDecoderTest {
    private final CropImageDecoder decoder = new CropImageDecoder(ImageLimits.DEFAULT);

    static BufferedImage gradient(int w, int h, int type) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (x * 4 << 16) | (y * 4 << 8) | ((x + y) * 2));
            }
        }
        return img;
    }

    static byte[] encode(BufferedImage img, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(img, format, out)).as("writer for " + format).isTrue();
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"png", "jpeg", "bmp", "tiff", "gif"})
    void decodesEveryCommonFormatToRgb(String format) throws Exception {
        BufferedImage rgb =
                decoder.decode(encode(gradient(40, 30, BufferedImage.TYPE_INT_RGB), format));
        // 8-bit RGB without alpha: int RGB, or the 3-byte BGR that JPEG decodes to.
        assertThat(rgb.getType()).isIn(BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_3BYTE_BGR);
        assertThat(rgb.getWidth()).isEqualTo(40);
        assertThat(rgb.getHeight()).isEqualTo(30);
    }

    @Test
    void plainJfifIsReadByTheJdksReaderToTheSamePixelsAsTheWrappedPath() throws Exception {
        byte[] jfif = encode(gradient(64, 48, BufferedImage.TYPE_INT_RGB), "jpeg");
        JpegFrame frame = JpegFrame.of(jfif);
        assertThat(frame.plainJfif()).isTrue();
        assertThat(frame.sof()).isEqualTo(0xC0);

        // The same image through the readers' general order (TwelveMonkeys first).
        BufferedImage wrapped;
        try (var in =
                new javax.imageio.stream.MemoryCacheImageInputStream(
                        new java.io.ByteArrayInputStream(jfif))) {
            javax.imageio.ImageReader reader = ImageReaders.forInput(in).next();
            assertThat(reader.getClass().getName()).startsWith("com.twelvemonkeys");
            reader.setInput(in);
            wrapped = reader.read(0);
            reader.dispose();
        }
        BufferedImage direct = decoder.decode(jfif);
        assertThat(AntialiasedResize.rgbBytes(direct))
                .isEqualTo(AntialiasedResize.rgbBytes(wrapped));

        // Without the JFIF marker the colour space is a guess, left to the general path.
        byte[] noApp0 = withoutApp0(jfif);
        assertThat(JpegFrame.of(noApp0).plainJfif()).isFalse();
        assertThat(AntialiasedResize.rgbBytes(decoder.decode(noApp0)))
                .isEqualTo(AntialiasedResize.rgbBytes(wrapped));
    }

    /** The JPEG without its APP0 segment (which ImageIO's writer puts right after SOI). */
    private static byte[] withoutApp0(byte[] jpeg) {
        assertThat(jpeg[3] & 0xFF).isEqualTo(0xE0);
        int length = (jpeg[4] & 0xFF) << 8 | (jpeg[5] & 0xFF);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(jpeg, 4 + length, jpeg.length - 4 - length);
        return out.toByteArray();
    }

    @Test
    void grayscaleSixteenBitAndAlphaImagesAreValidCrops() throws Exception {
        BufferedImage gray16 = new BufferedImage(20, 20, BufferedImage.TYPE_USHORT_GRAY);
        gray16.getRaster().setSample(5, 5, 0, 65535);
        BufferedImage out = decoder.decode(encode(gray16, "png"));
        assertThat(out.getRGB(5, 5) & 0xffffff).isEqualTo(0xffffff);
        assertThat(out.getRGB(0, 0) & 0xffffff).isEqualTo(0);

        // Scanners often write 16-bit TIFF.
        BufferedImage tiff16 = decoder.decode(encode(gray16, "tiff"));
        assertThat(tiff16.getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
        assertThat(tiff16.getRGB(5, 5) & 0xffffff).isEqualTo(0xffffff);

        BufferedImage gray = gradient(20, 20, BufferedImage.TYPE_BYTE_GRAY);
        assertThat(decoder.decode(encode(gray, "png")).getType())
                .isEqualTo(BufferedImage.TYPE_INT_RGB);
    }

    @Test
    void alphaIsDroppedLikePillowUnlessWhiteIsChosen() throws Exception {
        BufferedImage argb = new BufferedImage(20, 20, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(3, 3, 0x00_80_40_20); // fully transparent, colour stored under it
        argb.setRGB(4, 4, 0x80_00_00_00); // half transparent black
        byte[] png = encode(argb, "png");
        BufferedImage dropped = decoder.decode(png);
        assertThat(decoder.alphaPolicy()).isEqualTo(AlphaPolicy.DROP);
        assertThat(dropped.getRGB(3, 3) & 0xffffff)
                .as("Pillow's convert(\"RGB\") keeps the colour under alpha 0")
                .isEqualTo(0x804020);
        assertThat(dropped.getRGB(4, 4) & 0xffffff).isEqualTo(0);
        BufferedImage white =
                new CropImageDecoder(ImageLimits.DEFAULT, AlphaPolicy.WHITE).decode(png);
        assertThat(white.getRGB(3, 3) & 0xffffff).isEqualTo(0xffffff);
        assertThat(white.getRGB(4, 4) & 0xffffff).isEqualTo(0x7f7f7f);
        assertThat(AlphaPolicy.parse(" White ")).isEqualTo(AlphaPolicy.WHITE);
    }

    @Test
    void aTiffWithShortStripByteCountsIsNotDamage() throws Exception {
        // The JDK's own TIFF writer declares a short last strip; TwelveMonkeys warns about it
        // ("strip/tileByteCount < required"), and the pixels are all there.
        BufferedImage img = gradient(60, 50, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        javax.imageio.ImageWriter w = ImageIO.getImageWritersByFormatName("tiff").next();
        javax.imageio.ImageWriteParam p = w.getDefaultWriteParam();
        p.setCompressionMode(javax.imageio.ImageWriteParam.MODE_EXPLICIT);
        p.setCompressionType(
                Arrays.asList(p.getCompressionTypes()).contains("None") ? "None" : null);
        try (var ios = ImageIO.createImageOutputStream(out)) {
            w.setOutput(ios);
            w.write(null, new javax.imageio.IIOImage(img, null, null), p);
        }
        BufferedImage decoded = decoder.decode(out.toByteArray());
        for (int y = 0; y < 50; y += 7) {
            for (int x = 0; x < 60; x += 7) {
                assertThat(decoded.getRGB(x, y)).isEqualTo(img.getRGB(x, y));
            }
        }
    }

    @Test
    void emptyGarbageAndTruncatedImagesAreRejectedWithTheirReasons() throws Exception {
        assertReason(new byte[0], DeadLetterReason.EMPTY_IMAGE);
        assertReason(
                "not an image at all".getBytes(StandardCharsets.UTF_8),
                DeadLetterReason.UNDECODABLE_IMAGE);
        byte[] jpeg = encode(gradient(64, 64, BufferedImage.TYPE_INT_RGB), "jpeg");
        assertReason(Arrays.copyOf(jpeg, jpeg.length / 2), DeadLetterReason.UNDECODABLE_IMAGE);
        byte[] png = encode(gradient(64, 64, BufferedImage.TYPE_INT_RGB), "png");
        assertReason(Arrays.copyOf(png, png.length / 2), DeadLetterReason.UNDECODABLE_IMAGE);
    }

    @Test
    void limitsAreCheckedFromTheHeaderBeforeDecoding() throws Exception {
        // A 60-byte PNG that claims 20000x20000 pixels: rejected without allocating 1.6 GB.
        assertReason(pngHeader(20000, 20000), DeadLetterReason.IMAGE_TOO_LARGE);
        assertReason(
                encode(gradient(4, 4, BufferedImage.TYPE_INT_RGB), "png"),
                DeadLetterReason.BAD_DIMENSIONS);
        CropImageDecoder small = new CropImageDecoder(new ImageLimits(100, 1 << 20, 1));
        byte[] big = encode(gradient(64, 64, BufferedImage.TYPE_INT_RGB), "png");
        assertThatThrownBy(() -> small.decode(big))
                .isInstanceOfSatisfying(
                        CropRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.IMAGE_TOO_LARGE));
    }

    private void assertReason(byte[] bytes, DeadLetterReason reason) {
        assertThatThrownBy(() -> decoder.decode(bytes))
                .isInstanceOfSatisfying(
                        CropRejectedException.class,
                        e -> assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason));
    }

    /** PNG signature, an IHDR claiming w x h RGB8, an empty IDAT, IEND. */
    static byte[] pngHeader(int w, int h) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(ihdr);
        d.writeInt(w);
        d.writeInt(h);
        d.write(new byte[] {8, 2, 0, 0, 0});
        chunk(out, "IHDR", ihdr.toByteArray());
        chunk(out, "IDAT", new byte[0]);
        chunk(out, "IEND", new byte[0]);
        return bytes.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        out.writeInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeInt((int) crc.getValue());
    }
}
