package org.bloomstream.ingest.gate;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageWriteParam;
import org.bloomstream.ingest.TestImages;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.junit.jupiter.api.Test;

/**
 * The gate's shortcut for ordinary JPEGs ({@link ImageHeaderProbe#plainJpegFrame}) reads the same
 * dimensions as ImageIO's readers, on every JPEG of the shared data sets and on crafted ones, and
 * leaves every other kind of JPEG to ImageIO.
 */
class ImageHeaderProbeTest {

    @Test
    void ordinaryJpegsGiveImageIosDimensions() throws Exception {
        List<byte[]> jpegs = new ArrayList<>(sharedJpegs());
        int shared = jpegs.size();
        BufferedImage colour = new BufferedImage(101, 67, BufferedImage.TYPE_INT_RGB);
        BufferedImage grey = new BufferedImage(53, 90, BufferedImage.TYPE_BYTE_GRAY);
        jpegs.add(jpeg(colour, false));
        jpegs.add(jpeg(colour, true));
        jpegs.add(jpeg(grey, false));
        jpegs.add(jpeg(grey, true));
        for (byte[] b : jpegs) {
            ImageHeaderProbe.Header fast = ImageHeaderProbe.plainJpegFrame(b);
            assertThat(fast).isNotNull();
            assertThat(fast).isEqualTo(ImageHeaderProbe.imageIoHeader(b));
            assertThat(ImageHeaderProbe.probe(b)).isEqualTo(fast);
        }
        System.out.printf("header probe: %d shared and 4 crafted JPEGs agree%n", shared);
    }

    @Test
    void otherJpegsAreLeftToImageIo() throws Exception {
        byte[] baseline = jpeg(new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB), false);
        int sof = sofOffset(baseline);
        assertThat(baseline[sof + 1] & 0xFF).isEqualTo(0xC0);
        assertThat(ImageHeaderProbe.plainJpegFrame(baseline))
                .isEqualTo(new ImageHeaderProbe.Header(ImageEncoding.JPEG, 40, 30));

        byte[] lossless = baseline.clone();
        lossless[sof + 1] = (byte) 0xC3;
        byte[] arithmetic = baseline.clone();
        arithmetic[sof + 1] = (byte) 0xC9;
        byte[] twelveBit = baseline.clone();
        twelveBit[sof + 4] = 12;
        byte[] badLength = baseline.clone();
        badLength[sof + 3] += 3;
        byte[] twoComponents = baseline.clone();
        twoComponents[sof + 9] = 2;
        for (byte[] other : List.of(lossless, arithmetic, twelveBit, badLength, twoComponents)) {
            assertThat(ImageHeaderProbe.plainJpegFrame(other)).isNull();
        }
        assertThat(ImageHeaderProbe.plainJpegFrame(new byte[] {(byte) 0xFF, (byte) 0xD8, 0}))
                .isNull();
        assertThat(ImageHeaderProbe.plainJpegFrame(java.util.Arrays.copyOf(baseline, sof + 6)))
                .isNull();
    }

    private static int sofOffset(byte[] b) {
        int i = 2;
        while ((b[i + 1] & 0xFF) != 0xC0) {
            i += 2 + ((b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF));
        }
        return i;
    }

    private static List<byte[]> sharedJpegs() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.isDirectory(root.resolve("models/fixtures"))) {
            root = root.getParent();
        }
        Path data = root == null ? null : root.getParent().resolve("shared/data");
        List<byte[]> out = new ArrayList<>();
        if (data == null || !Files.isDirectory(data)) {
            System.out.println("SKIPPED part: no ../shared/data; crafted JPEGs only");
            return out;
        }
        try (Stream<Path> s = Files.walk(data)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
                if (n.endsWith(".jpg") || n.endsWith(".jpeg")) {
                    out.add(Files.readAllBytes(p));
                }
            }
        }
        assertThat(out).hasSizeGreaterThan(600);
        return out;
    }

    private static byte[] jpeg(BufferedImage image, boolean progressive) {
        return TestImages.encode(
                image,
                "jpeg",
                progressive ? p -> p.setProgressiveMode(ImageWriteParam.MODE_DEFAULT) : null);
    }
}
