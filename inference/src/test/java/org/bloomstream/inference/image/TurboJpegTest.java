package org.bloomstream.inference.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * libjpeg-turbo's pixels against the JDK reader's, which {@code PillowDifferentialTest} in turn
 * holds to Pillow's: on every JPEG of the shared data sets, and on crafted grey, progressive and
 * damaged crops. With {@code BLOOMSTREAM_REQUIRE_TURBOJPEG=1} (CI) a missing library fails.
 */
class TurboJpegTest {
    private final CropImageDecoder decoder = new CropImageDecoder(ImageLimits.DEFAULT);

    @BeforeAll
    static void turboIsLoaded() {
        if (!TurboJpeg.available()) {
            String msg = "libjpeg-turbo is not in use: " + TurboJpeg.status();
            if ("1".equals(System.getenv("BLOOMSTREAM_REQUIRE_TURBOJPEG"))) {
                throw new AssertionError(msg);
            }
            Assumptions.abort("SKIPPED: " + msg);
        }
    }

    @Test
    void everySharedJpegDecodesToTheJdkReadersPixels() throws Exception {
        List<Path> sets = PillowOracle.dataSets();
        Assumptions.assumeFalse(sets.isEmpty(), "SKIPPED: no data sets under ../shared/data");
        int compared = 0;
        for (Path set : sets) {
            for (Path file : PillowOracle.imagesOf(set)) {
                byte[] bytes = Files.readAllBytes(file);
                if (!JpegFrame.isJpeg(bytes) || !JpegFrame.of(bytes).plainJfif()) {
                    continue;
                }
                BufferedImage turbo = turbo(bytes);
                assertThat(turbo).as(file.toString()).isNotNull();
                assertThat(turbo.getType()).isEqualTo(BufferedImage.TYPE_3BYTE_BGR);
                assertThat(AntialiasedResize.rgbBytes(turbo))
                        .as(file.toString())
                        .isEqualTo(AntialiasedResize.rgbBytes(jdk(bytes)));
                compared++;
            }
        }
        // pbc-acevedo and wbc-bccd: 647 plain JFIF crops.
        assertThat(compared).isGreaterThan(600);
    }

    @Test
    void greyProgressiveAndOddSizedCropsMatchTheJdkReader() throws Exception {
        BufferedImage colour = CropImageDecoderTest.gradient(101, 67, BufferedImage.TYPE_INT_RGB);
        BufferedImage grey = CropImageDecoderTest.gradient(53, 90, BufferedImage.TYPE_BYTE_GRAY);
        for (byte[] jpeg :
                List.of(
                        jpeg(colour, false, 0.95f),
                        jpeg(colour, true, 0.75f),
                        jpeg(grey, false, 0.9f),
                        jpeg(grey, true, 0.9f))) {
            assertThat(JpegFrame.of(jpeg).plainJfif()).isTrue();
            BufferedImage turbo = decoder.decode(jpeg);
            assertThat(turbo.getType()).isEqualTo(BufferedImage.TYPE_3BYTE_BGR);
            assertThat(AntialiasedResize.rgbBytes(turbo))
                    .isEqualTo(AntialiasedResize.rgbBytes(jdk(jpeg)));
        }
    }

    @Test
    void aTruncatedCropIsLeftToTheGeneralPathWhichRejectsIt() throws Exception {
        byte[] whole = jpeg(CropImageDecoderTest.gradient(64, 64, 1), false, 0.9f);
        byte[] truncated = Arrays.copyOf(whole, whole.length * 2 / 3);
        // libjpeg-turbo warns ("premature end") and would return a half-grey image: not used.
        assertThat(turbo(truncated)).isNull();
        assertThatThrownBy(() -> decoder.decode(truncated))
                .isInstanceOf(CropRejectedException.class)
                .hasMessageContaining("damaged image");
        assertThat(turbo(new byte[] {(byte) 0xFF, (byte) 0xD8})).isNull();
    }

    @Test
    void dimensionsAreCheckedBeforeAnyPixelIsDecoded() throws Exception {
        byte[] crop = jpeg(CropImageDecoderTest.gradient(64, 48, 1), false, 0.9f);
        int[] seen = new int[2];
        assertThatThrownBy(
                        () ->
                                TurboJpeg.decode(
                                        crop,
                                        (w, h) -> {
                                            seen[0] = w;
                                            seen[1] = h;
                                            throw new CropRejectedException(
                                                    DeadLetterReason.IMAGE_TOO_LARGE, "too large");
                                        },
                                        new TurboJpeg.Buffers(false)))
                .isInstanceOf(CropRejectedException.class);
        assertThat(seen).containsExactly(64, 48);
        CropImageDecoder small = new CropImageDecoder(new ImageLimits(1 << 20, 64L * 40, 8));
        assertThatThrownBy(() -> small.decode(crop))
                .isInstanceOf(CropRejectedException.class)
                .extracting(e -> ((CropRejectedException) e).reason())
                .isEqualTo(DeadLetterReason.IMAGE_TOO_LARGE);
    }

    @Test
    void aOneThreadDecoderReusesItsPixelArrayAndGivesBackLargeBuffers() throws Exception {
        CropImageDecoder reusing =
                CropImageDecoder.forOneThread(ImageLimits.DEFAULT, AlphaPolicy.DROP, true);
        byte[] small = jpeg(CropImageDecoderTest.gradient(64, 48, 1), false, 0.9f);
        byte[] other = jpeg(CropImageDecoderTest.gradient(40, 30, 1), true, 0.9f);
        BufferedImage first = reusing.decode(small);
        byte[] firstPixels = AntialiasedResize.rgbBytes(first);
        assertThat(firstPixels).isEqualTo(AntialiasedResize.rgbBytes(jdk(small)));
        BufferedImage second = reusing.decode(other);
        // The smaller crop lands in the same array, and reads back right through its raster.
        assertThat(pixelArray(second)).isSameAs(pixelArray(first));
        assertThat(AntialiasedResize.rgbBytes(second))
                .isEqualTo(AntialiasedResize.rgbBytes(jdk(other)));
        assertThat(AntialiasedResize.resizeToRgb(second, 32, 32))
                .isEqualTo(AntialiasedResize.resizeToRgb(jdk(other), 32, 32));

        // A crop larger than KEEP_BYTES decodes, and its buffers are not kept.
        byte[] large = jpeg(CropImageDecoderTest.gradient(1300, 1100, 1), false, 0.8f);
        BufferedImage big = reusing.decode(large);
        assertThat(AntialiasedResize.rgbBytes(big))
                .isEqualTo(AntialiasedResize.rgbBytes(jdk(large)));
        assertThat(pixelArray(reusing.decode(small))).isNotSameAs(pixelArray(big));

        // The shared decoder never reuses.
        assertThat(pixelArray(decoder.decode(small)))
                .isNotSameAs(pixelArray(decoder.decode(small)));
    }

    private static byte[] pixelArray(BufferedImage image) {
        return ((java.awt.image.DataBufferByte) image.getRaster().getDataBuffer()).getData();
    }

    private static BufferedImage turbo(byte[] jpeg) throws CropRejectedException {
        return TurboJpeg.decode(jpeg, (w, h) -> {}, new TurboJpeg.Buffers(false));
    }

    /** The JDK's own reader (libjpeg 6b), as the decoder reads plain JFIF without libjpeg-turbo. */
    private static BufferedImage jdk(byte[] jpeg) throws Exception {
        ImageReader reader = ImageReaders.jdkJpeg();
        try (var in = new MemoryCacheImageInputStream(new ByteArrayInputStream(jpeg))) {
            reader.setInput(in);
            return CropImageDecoder.toRgb(reader.read(0), AlphaPolicy.DROP);
        } finally {
            reader.dispose();
        }
    }

    private static byte[] jpeg(BufferedImage image, boolean progressive, float quality)
            throws Exception {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(quality);
        if (progressive) {
            param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
