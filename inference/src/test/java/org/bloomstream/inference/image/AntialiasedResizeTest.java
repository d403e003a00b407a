package org.bloomstream.inference.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The resize must be bit-exact with Pillow's {@code Image.resize(BILINEAR)}, which DinoBloom's
 * reference preprocessing runs. The golden file is written by {@code models/resize_golden.py}.
 */
class AntialiasedResizeTest {

    static byte[] formula(int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    rgb[(y * w + x) * 3 + c] =
                            (byte) ((7 * x + 13 * y + 50 * c + (x * y) % 17) % 256);
                }
            }
        }
        return rgb;
    }

    @Test
    void matchesPillowBitForBitUpAndDown() throws Exception {
        JsonNode golden;
        try (InputStream in = getClass().getResourceAsStream("/pillow-resize-golden.json")) {
            golden = new ObjectMapper().readTree(in);
        }
        assertThat(golden.get("cases")).hasSizeGreaterThanOrEqualTo(5);
        for (JsonNode c : golden.get("cases")) {
            int w = c.get("in").get(0).asInt();
            int h = c.get("in").get(1).asInt();
            int ow = c.get("out").get(0).asInt();
            int oh = c.get("out").get(1).asInt();
            byte[] out = AntialiasedResize.resize(formula(w, h), w, h, ow, oh);
            int[] firstRow = new int[ow * 3];
            for (int i = 0; i < firstRow.length; i++) {
                firstRow[i] = out[i] & 0xff;
            }
            int[] expectedRow = new int[ow * 3];
            for (int i = 0; i < expectedRow.length; i++) {
                expectedRow[i] = c.get("firstRow").get(i).asInt();
            }
            String label = w + "x" + h + " -> " + ow + "x" + oh;
            assertThat(firstRow).as(label + " first row").containsExactly(expectedRow);
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(out));
            assertThat(sha).as(label + " all pixels").isEqualTo(c.get("sha256").asText());
        }
    }

    @Test
    void sameSizeIsTheIdentity() {
        byte[] in = formula(50, 40);
        assertThat(AntialiasedResize.resize(in, 50, 40, 50, 40)).containsExactly(in);
    }

    @Test
    void aFlatImageStaysFlat() {
        byte[] in = new byte[33 * 77 * 3];
        java.util.Arrays.fill(in, (byte) 200);
        for (byte b : AntialiasedResize.resize(in, 33, 77, 224, 224)) {
            assertThat(b & 0xff).isEqualTo(200);
        }
    }

    @Test
    void readsEveryImageLayoutTheSameAsGetRgb() {
        int[] types = {
            BufferedImage.TYPE_INT_RGB,
            BufferedImage.TYPE_3BYTE_BGR,
            BufferedImage.TYPE_INT_ARGB,
            BufferedImage.TYPE_BYTE_GRAY
        };
        for (int type : types) {
            BufferedImage img = new BufferedImage(37, 23, type);
            for (int y = 0; y < 23; y++) {
                for (int x = 0; x < 37; x++) {
                    img.setRGB(x, y, 0xff000000 | (x * 7 << 16) | (y * 11 << 8) | ((x + y) * 3));
                }
            }
            byte[] fast = AntialiasedResize.rgbBytes(img);
            for (int y = 0; y < 23; y++) {
                for (int x = 0; x < 37; x++) {
                    int v = img.getRGB(x, y);
                    int i = (y * 37 + x) * 3;
                    assertThat(new int[] {fast[i] & 0xff, fast[i + 1] & 0xff, fast[i + 2] & 0xff})
                            .as("type %d at %d,%d", type, x, y)
                            .containsExactly((v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
                }
            }
        }
    }

    /**
     * A JPEG's BGR raster is resized in place, without the RGB copy: the result must be the copy's,
     * byte for byte, for sizes up and down, odd sizes, an unchanged width or height (one pass
     * skipped), and a raster that does not start at its buffer's first byte.
     */
    @Test
    void resizingABgrRasterInPlaceGivesTheSameBytesAsResizingItsRgbCopy() {
        java.util.Random random = new java.util.Random(18);
        int[][] sizes = {
            {320, 320, 224, 224},
            {316, 298, 224, 224},
            {37, 23, 224, 224},
            {401, 7, 13, 300},
            {224, 300, 224, 224},
            {300, 224, 224, 224},
            {5, 5, 1, 1}
        };
        for (int[] z : sizes) {
            BufferedImage img = new BufferedImage(z[0], z[1], BufferedImage.TYPE_3BYTE_BGR);
            for (int y = 0; y < z[1]; y++) {
                for (int x = 0; x < z[0]; x++) {
                    img.setRGB(x, y, random.nextInt());
                }
            }
            byte[] viaCopy =
                    AntialiasedResize.resize(
                            AntialiasedResize.rgbBytes(img), z[0], z[1], z[2], z[3]);
            assertThat(AntialiasedResize.resizeToRgb(img, z[2], z[3]))
                    .as("%dx%d -> %dx%d", z[0], z[1], z[2], z[3])
                    .containsExactly(viaCopy);
        }
        BufferedImage whole = new BufferedImage(60, 50, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 50; y++) {
            for (int x = 0; x < 60; x++) {
                whole.setRGB(x, y, random.nextInt());
            }
        }
        // A window on the image's buffer, its data 10 rows in: read through getRGB, not in place.
        BufferedImage part = whole.getSubimage(0, 10, 60, 40);
        byte[] rgb = new byte[60 * 40 * 3];
        for (int y = 0; y < 40; y++) {
            for (int x = 0; x < 60; x++) {
                int v = whole.getRGB(x, y + 10);
                int i = (y * 60 + x) * 3;
                rgb[i] = (byte) (v >> 16);
                rgb[i + 1] = (byte) (v >> 8);
                rgb[i + 2] = (byte) v;
            }
        }
        assertThat(AntialiasedResize.rgbBytes(part)).containsExactly(rgb);
        assertThat(AntialiasedResize.resizeToRgb(part, 31, 17))
                .containsExactly(AntialiasedResize.resize(rgb, 60, 40, 31, 17));
    }
}
