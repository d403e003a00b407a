package org.bloomstream.inference.image;

import java.awt.Graphics2D;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferInt;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * Pillow's {@code convert("RGB")}, applied to the samples a reader decoded: the colour rules of the
 * reference preprocessing, written out because Java2D's conversions differ from them.
 *
 * <p>Rules, each checked against Pillow 9.4 by the differential test (PillowDifferentialTest):
 *
 * <ul>
 *   <li>The samples are taken as stored. An embedded ICC profile is ignored (Pillow's {@code
 *       Image.open} does not apply it); so is Java's own idea of a gray colour space, which is
 *       linear: {@code BufferedImage.getRGB} would brighten every gray crop.
 *   <li>Alpha is dropped ({@link AlphaPolicy#DROP}) or composited on white ({@link
 *       AlphaPolicy#WHITE}).
 *   <li>A palette is looked up; its transparency is alpha like any other.
 *   <li>16-bit colour (RGB, RGBA, gray with alpha) keeps the high byte: Pillow unpacks these with
 *       its {@code ;16} raw modes, which take the most significant byte. 16-bit gray without alpha
 *       is different: Pillow opens it as a 32-bit integer image ({@code I} or {@code I;16}), and
 *       converting that to RGB clips at 255, it does not scale. A 16-bit gray crop whose values use
 *       the full range comes out almost white, in Pillow and so here: the reference decides.
 *   <li>CMYK becomes RGB by Pillow's {@code cmyk2rgb}: {@code nk = 255 - k; c' = nk - c * nk / 255}
 *       (rounded the way Pillow's {@code MULDIV255} rounds), not through an ICC profile.
 *   <li>Other colour spaces (Lab, YCbCr TIFFs that a reader did not convert) go through Java2D to
 *       sRGB: no crop in the data sets uses them, and they are not checked against Pillow.
 * </ul>
 */
final class PillowRgb {
    private PillowRgb() {}

    /**
     * @param raster the decoded samples
     * @param cm how to read them
     * @param invertedCmyk whether stored CMYK samples are inverted (Adobe JPEGs, which Pillow opens
     *     with its {@code CMYK;I} raw mode)
     */
    static BufferedImage convert(
            Raster raster, ColorModel cm, boolean invertedCmyk, AlphaPolicy alpha) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] dst = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
        int bands = raster.getNumBands();
        int[] row = new int[w * bands];
        int minX = raster.getMinX();
        int minY = raster.getMinY();
        if (cm instanceof IndexColorModel icm) {
            for (int y = 0; y < h; y++) {
                raster.getSamples(minX, minY + y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int i = row[x];
                    dst[y * w + x] =
                            pixel(
                                    icm.getRed(i),
                                    icm.getGreen(i),
                                    icm.getBlue(i),
                                    icm.hasAlpha() ? icm.getAlpha(i) : 255,
                                    alpha);
                }
            }
            return out;
        }
        int space = cm.getColorSpace().getType();
        int colours = cm.getNumColorComponents();
        boolean hasAlpha = cm.hasAlpha() && bands > colours;
        int bits = cm.getComponentSize(0);
        if (space == ColorSpace.TYPE_RGB && colours == 3 && bands >= 3) {
            for (int y = 0; y < h; y++) {
                raster.getPixels(minX, minY + y, w, 1, row);
                for (int x = 0, p = 0; x < w; x++, p += bands) {
                    dst[y * w + x] =
                            pixel(
                                    to8(row[p], bits),
                                    to8(row[p + 1], bits),
                                    to8(row[p + 2], bits),
                                    hasAlpha ? to8(row[p + 3], cm.getComponentSize(3)) : 255,
                                    alpha);
                }
            }
            return out;
        }
        if (space == ColorSpace.TYPE_GRAY && colours == 1) {
            // 16-bit gray alone is Pillow's mode I or I;16: clipped. With alpha it is LA;16B:
            // the high byte.
            boolean clip = bits > 8 && !hasAlpha;
            for (int y = 0; y < h; y++) {
                raster.getPixels(minX, minY + y, w, 1, row);
                for (int x = 0, p = 0; x < w; x++, p += bands) {
                    int g = clip ? Math.min(row[p], 255) : to8(row[p], bits);
                    dst[y * w + x] =
                            pixel(
                                    g,
                                    g,
                                    g,
                                    hasAlpha ? to8(row[p + 1], cm.getComponentSize(1)) : 255,
                                    alpha);
                }
            }
            return out;
        }
        if (space == ColorSpace.TYPE_CMYK && bands >= 4) {
            for (int y = 0; y < h; y++) {
                raster.getPixels(minX, minY + y, w, 1, row);
                for (int x = 0, p = 0; x < w; x++, p += bands) {
                    int c = to8(row[p], bits);
                    int m = to8(row[p + 1], bits);
                    int ye = to8(row[p + 2], bits);
                    int k = to8(row[p + 3], bits);
                    if (invertedCmyk) {
                        c = 255 - c;
                        m = 255 - m;
                        ye = 255 - ye;
                        k = 255 - k;
                    }
                    int nk = 255 - k;
                    dst[y * w + x] =
                            rgb(
                                    clip8(nk - mulDiv255(c, nk)),
                                    clip8(nk - mulDiv255(m, nk)),
                                    clip8(nk - mulDiv255(ye, nk)));
                }
            }
            return out;
        }
        return viaJava2d(new BufferedImage(cm, toWritable(raster), false, null));
    }

    /**
     * A four-component JPEG's raw samples (as the readers' {@code readRaster} returns them) as
     * Pillow converts them. Pillow opens every four-component JPEG as Adobe-inverted CMYK ({@code
     * CMYK;I}); a YCCK file's Y, Cb, Cr are first turned into (inverted) C, M, Y by libjpeg's
     * {@code ycck_cmyk_convert}, reproduced here with libjpeg's fixed-point tables.
     */
    static BufferedImage fromAdobeJpeg(Raster raster, boolean ycck) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] dst = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
        int bands = raster.getNumBands();
        int[] row = new int[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
            for (int x = 0, p = 0; x < w; x++, p += bands) {
                int c;
                int m;
                int ye;
                if (ycck) {
                    // libjpeg stores 255 - R etc.; Pillow's CMYK;I inverts it back to R.
                    int luma = row[p];
                    int cb = row[p + 1] - 128;
                    int cr = row[p + 2] - 128;
                    c = clip8(luma + ((FIX_1_40200 * cr + HALF) >> SCALEBITS));
                    m = clip8(luma + ((-FIX_0_34414 * cb + HALF - FIX_0_71414 * cr) >> SCALEBITS));
                    ye = clip8(luma + ((FIX_1_77200 * cb + HALF) >> SCALEBITS));
                } else {
                    c = 255 - row[p];
                    m = 255 - row[p + 1];
                    ye = 255 - row[p + 2];
                }
                int k = 255 - row[p + 3];
                int nk = 255 - k;
                dst[y * w + x] =
                        rgb(
                                clip8(nk - mulDiv255(c, nk)),
                                clip8(nk - mulDiv255(m, nk)),
                                clip8(nk - mulDiv255(ye, nk)));
            }
        }
        return out;
    }

    // libjpeg's jdcolor.c: FIX(x) = x * 2^16 rounded.
    private static final int SCALEBITS = 16;
    private static final int HALF = 1 << (SCALEBITS - 1);
    private static final int FIX_1_40200 = 91881;
    private static final int FIX_1_77200 = 116130;
    private static final int FIX_0_71414 = 46802;
    private static final int FIX_0_34414 = 22554;

    /** An image whose colour model Java2D understands, drawn on white (the fallback). */
    static BufferedImage viaJava2d(BufferedImage image) {
        BufferedImage rgb =
                new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = rgb.createGraphics();
        try {
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            g.drawImage(image, 0, 0, null);
        } finally {
            g.dispose();
        }
        return rgb;
    }

    private static java.awt.image.WritableRaster toWritable(Raster r) {
        java.awt.image.WritableRaster w = r.createCompatibleWritableRaster();
        w.setRect(-r.getMinX(), -r.getMinY(), r);
        return w;
    }

    private static int pixel(int r, int g, int b, int a, AlphaPolicy alpha) {
        if (alpha == AlphaPolicy.WHITE && a < 255) {
            int white = 255 * (255 - a);
            r = (r * a + white + 127) / 255;
            g = (g * a + white + 127) / 255;
            b = (b * a + white + 127) / 255;
        }
        return rgb(r, g, b);
    }

    private static int rgb(int r, int g, int b) {
        return r << 16 | g << 8 | b;
    }

    /** A sample of {@code bits} bits as 8 bits: the high byte (Pillow's ;16 unpackers). */
    private static int to8(int v, int bits) {
        if (bits == 8) {
            return v;
        }
        if (bits > 8) {
            return v >>> (bits - 8);
        }
        return v * 255 / ((1 << bits) - 1);
    }

    /** Pillow's MULDIV255: {@code a * b / 255}, rounded. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    private static int clip8(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }
}
