package org.bloomstream.inference.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.SinglePixelPackedSampleModel;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bilinear resize with antialiasing, bit-exact with Pillow's {@code Image.resize(size,
 * Image.BILINEAR)} on 8-bit RGB images, which is what DinoBloom's reference preprocessing ({@code
 * torchvision.transforms.Resize} on PIL images) runs.
 *
 * <p>Why by hand: Java2D's bilinear interpolation does not widen its kernel when downscaling, so a
 * 360x360 crop shrunk to 224 aliases and the embedding drifts from the reference. Pillow's
 * algorithm is a separable triangle filter whose support grows with the scale factor, computed in
 * 22-bit fixed point, horizontal pass first with an 8-bit intermediate image; copying those details
 * (including rounding) is what makes the output identical rather than merely close.
 */
public final class AntialiasedResize {
    private static final int PRECISION_BITS = 32 - 8 - 2;

    private AntialiasedResize() {}

    /** Resizes an RGB image and returns its pixels packed as RGB bytes, row-major (HWC). */
    public static byte[] resizeToRgb(BufferedImage image, int outWidth, int outHeight) {
        int w = image.getWidth();
        int h = image.getHeight();
        DataBufferByte bgr = plainBgr(image);
        if (bgr != null && outWidth != w && outWidth > 0 && outHeight > 0) {
            // A JPEG's 3-byte BGR raster is read in place by the horizontal pass, which swaps the
            // channels as it reads: the same sums as on an RGB copy, without the copy (300 KB per
            // 320 px crop, and a pass over it).
            return resize(bgr.getData(), bgr.getOffset(), true, w, h, outWidth, outHeight);
        }
        return resize(rgbBytes(image), w, h, outWidth, outHeight);
    }

    /** The data buffer of a plain 3-byte BGR image (what the JPEG readers give), else null. */
    private static DataBufferByte plainBgr(BufferedImage image) {
        var raster = image.getRaster();
        if (raster.getMinX() == 0
                && raster.getMinY() == 0
                && raster.getSampleModelTranslateX() == 0
                && raster.getSampleModelTranslateY() == 0
                && image.getType() == BufferedImage.TYPE_3BYTE_BGR
                && raster.getDataBuffer() instanceof DataBufferByte bytes
                && raster.getSampleModel() instanceof PixelInterleavedSampleModel sm
                && sm.getPixelStride() == 3
                && sm.getScanlineStride() == image.getWidth() * 3
                && bytes.getData().length - bytes.getOffset()
                        >= image.getWidth() * image.getHeight() * 3) {
            return bytes;
        }
        return null;
    }

    /**
     * The image's pixels as packed RGB bytes (HWC). Reads the raster directly for the two layouts
     * decoders produce (JPEG: 3-byte BGR; PNG/BMP after conversion: int RGB): {@code getRGB} goes
     * through the colour model pixel by pixel and cost as much as the resize itself.
     */
    public static byte[] rgbBytes(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] rgb = new byte[w * h * 3];
        var raster = image.getRaster();
        // A raster that is a window on a larger one (getSubimage) has its data elsewhere in the
        // buffer: the general path below reads it right.
        boolean plain =
                raster.getMinX() == 0
                        && raster.getMinY() == 0
                        && raster.getSampleModelTranslateX() == 0
                        && raster.getSampleModelTranslateY() == 0;
        DataBufferByte bytes = plainBgr(image);
        if (bytes != null) {
            byte[] bgr = bytes.getData();
            int off = bytes.getOffset();
            for (int i = 0, n = w * h * 3; i < n; i += 3) {
                rgb[i] = bgr[off + i + 2];
                rgb[i + 1] = bgr[off + i + 1];
                rgb[i + 2] = bgr[off + i];
            }
            return rgb;
        }
        if (plain
                && image.getType() == BufferedImage.TYPE_INT_RGB
                && raster.getDataBuffer() instanceof DataBufferInt ints
                && raster.getSampleModel() instanceof SinglePixelPackedSampleModel sm
                && sm.getScanlineStride() == w) {
            int[] px = ints.getData();
            int off = ints.getOffset();
            for (int i = 0, n = w * h; i < n; i++) {
                int v = px[off + i];
                rgb[3 * i] = (byte) (v >> 16);
                rgb[3 * i + 1] = (byte) (v >> 8);
                rgb[3 * i + 2] = (byte) v;
            }
            return rgb;
        }
        int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < argb.length; i++) {
            int v = argb[i];
            rgb[3 * i] = (byte) (v >> 16);
            rgb[3 * i + 1] = (byte) (v >> 8);
            rgb[3 * i + 2] = (byte) v;
        }
        return rgb;
    }

    /** Resizes packed RGB bytes (HWC). */
    public static byte[] resize(
            byte[] rgb, int inWidth, int inHeight, int outWidth, int outHeight) {
        if (rgb.length != inWidth * inHeight * 3) {
            throw new IllegalArgumentException("expected " + inWidth * inHeight * 3 + " bytes");
        }
        if (outWidth <= 0 || outHeight <= 0) {
            throw new IllegalArgumentException("output size must be positive");
        }
        return resize(rgb, 0, false, inWidth, inHeight, outWidth, outHeight);
    }

    /**
     * Resizes packed pixels that start at {@code offset}: RGB, or BGR when {@code bgr} (then the
     * width must change, so that the horizontal pass, which swaps the channels, runs).
     */
    private static byte[] resize(
            byte[] rgb,
            int offset,
            boolean bgr,
            int inWidth,
            int inHeight,
            int outWidth,
            int outHeight) {
        Coefficients vert = Coefficients.of(inHeight, outHeight);
        byte[] src = rgb;
        int srcRows = inHeight;
        int rowOffset = 0;
        if (outWidth != inWidth) {
            // Only the rows the vertical pass reads are resampled horizontally (Pillow does the
            // same).
            int firstRow = vert.bounds[0];
            int lastRow = vert.bounds[(outHeight - 1) * 2] + vert.bounds[(outHeight - 1) * 2 + 1];
            Coefficients horiz = Coefficients.of(inWidth, outWidth);
            src =
                    horizontal(
                            rgb,
                            offset,
                            bgr,
                            inWidth,
                            firstRow,
                            lastRow - firstRow,
                            outWidth,
                            horiz);
            srcRows = lastRow - firstRow;
            rowOffset = firstRow;
        }
        if (outHeight == inHeight && rowOffset == 0 && srcRows == inHeight) {
            return src == rgb ? rgb.clone() : src;
        }
        return vertical(src, outWidth, rowOffset, outHeight, vert);
    }

    /**
     * The horizontal pass over the rows the vertical pass reads. With {@code bgr} the input is
     * 3-byte BGR and is read with red and blue swapped; the output is RGB either way. Per output
     * sample the same products are added in the same order as in Pillow's loop, so the result is
     * bit for bit the same.
     */
    private static byte[] horizontal(
            byte[] in,
            int offset,
            boolean bgr,
            int inWidth,
            int firstRow,
            int rows,
            int outWidth,
            Coefficients c) {
        int red = bgr ? 2 : 0;
        int blue = bgr ? 0 : 2;
        int[] bounds = c.bounds;
        int[] kk = c.kk;
        int ksize = c.ksize;
        byte[] out = new byte[rows * outWidth * 3];
        int half = 1 << (PRECISION_BITS - 1);
        for (int y = 0; y < rows; y++) {
            int inRow = offset + (y + firstRow) * inWidth * 3;
            int o = y * outWidth * 3;
            for (int x = 0; x < outWidth; x++, o += 3) {
                int p = inRow + bounds[2 * x] * 3;
                int n = bounds[2 * x + 1];
                int k = x * ksize;
                int s0 = half;
                int s1 = half;
                int s2 = half;
                for (int i = 0; i < n; i++, p += 3) {
                    int w = kk[k + i];
                    s0 += (in[p + red] & 0xff) * w;
                    s1 += (in[p + 1] & 0xff) * w;
                    s2 += (in[p + blue] & 0xff) * w;
                }
                out[o] = clip8(s0);
                out[o + 1] = clip8(s1);
                out[o + 2] = clip8(s2);
            }
        }
        return out;
    }

    /**
     * The vertical pass, one output row at a time: each contributing input row is added into an int
     * accumulator with its weight. The same sums as Pillow's pixel-by-pixel loop, in an order that
     * reads memory sequentially (and lets the JIT vectorise the inner loop).
     */
    private static byte[] vertical(
            byte[] in, int width, int rowOffset, int outHeight, Coefficients c) {
        int rowBytes = width * 3;
        byte[] out = new byte[outHeight * rowBytes];
        int[] acc = new int[rowBytes];
        for (int y = 0; y < outHeight; y++) {
            int ymin = c.bounds[2 * y] - rowOffset;
            int ymax = c.bounds[2 * y + 1];
            int k = y * c.ksize;
            Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
            for (int i = 0; i < ymax; i++) {
                int w = c.kk[k + i];
                int src = (ymin + i) * rowBytes;
                for (int x = 0; x < rowBytes; x++) {
                    acc[x] += (in[src + x] & 0xff) * w;
                }
            }
            int dst = y * rowBytes;
            for (int x = 0; x < rowBytes; x++) {
                out[dst + x] = clip8(acc[x]);
            }
        }
        return out;
    }

    /**
     * Pillow's filter for one axis as a dense {@code outSize x inSize} matrix (row-major) of its
     * 22-bit fixed-point weights, exactly the integers the passes above multiply by. With 8-bit
     * pixels every product and partial sum is an integer below 2^53, so a float64 matrix product of
     * pixels and this matrix is exact in any summation order; {@code floor((s + 2^21) / 2^22)}
     * clipped to 0..255 then gives Pillow's pass bit for bit. When the sizes are equal Pillow skips
     * the pass; the identity (weight 2^22) reproduces that.
     */
    public static double[] filterMatrix(int inSize, int outSize) {
        double[] m = new double[outSize * inSize];
        if (inSize == outSize) {
            for (int i = 0; i < inSize; i++) {
                m[i * inSize + i] = 1 << PRECISION_BITS;
            }
            return m;
        }
        Coefficients c = Coefficients.of(inSize, outSize);
        for (int o = 0; o < outSize; o++) {
            int min = c.bounds[2 * o];
            int n = c.bounds[2 * o + 1];
            for (int i = 0; i < n; i++) {
                m[o * inSize + min + i] = c.kk[o * c.ksize + i];
            }
        }
        return m;
    }

    /** The fixed-point scale of {@link #filterMatrix}: 2^22. */
    public static double filterScale() {
        return 1 << PRECISION_BITS;
    }

    private static byte clip8(int v) {
        int x = v >> PRECISION_BITS;
        return (byte) (x < 0 ? 0 : Math.min(x, 255));
    }

    /** Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter. */
    private static final class Coefficients {
        final int ksize;
        final int[] bounds;
        final int[] kk;

        private Coefficients(int ksize, int[] bounds, int[] kk) {
            this.ksize = ksize;
            this.bounds = bounds;
            this.kk = kk;
        }

        private static final ConcurrentHashMap<Long, Coefficients> CACHE =
                new ConcurrentHashMap<>();

        /** Coefficients depend only on the two sizes; crops come in a handful of sizes. */
        static Coefficients of(int inSize, int outSize) {
            if (CACHE.size() > 4096) {
                CACHE.clear();
            }
            return CACHE.computeIfAbsent(
                    ((long) inSize << 32) | outSize, k -> compute(inSize, outSize));
        }

        private static Coefficients compute(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = 1.0 * filterScale; // bilinear support is 1
            int ksize = (int) Math.ceil(support) * 2 + 1;
            int[] bounds = new int[outSize * 2];
            int[] kk = new int[outSize * ksize];
            double[] k = new double[ksize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double ss = 1.0 / filterScale;
                int xmin = Math.max((int) (center - support + 0.5), 0);
                int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
                double ww = 0;
                for (int x = 0; x < xmax; x++) {
                    double t = Math.abs((x + xmin - center + 0.5) * ss);
                    double w = t < 1.0 ? 1.0 - t : 0.0;
                    k[x] = w;
                    ww += w;
                }
                for (int x = 0; x < xmax; x++) {
                    double v = ww != 0.0 ? k[x] / ww : k[x];
                    kk[xx * ksize + x] =
                            (int)
                                    (v < 0
                                            ? -0.5 + v * (1 << PRECISION_BITS)
                                            : 0.5 + v * (1 << PRECISION_BITS));
                }
                bounds[2 * xx] = xmin;
                bounds[2 * xx + 1] = xmax;
            }
            return new Coefficients(ksize, bounds, kk);
        }
    }
}
