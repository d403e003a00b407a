package org.bloomstream.inference.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.SinglePixelPackedSampleModel;
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
        if (bgr != null && outWidth > 0 && outHeight > 0) {
            // A JPEG's 3-byte BGR raster is read in place: the first pass swaps the channels as it
            // reads, so the RGB copy (300 KB per 320 px crop, and a pass over it) is never made.
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

    /**
     * The image's pixels as packed BGR bytes (HWC), the layout the JPEG decoder writes: for a plain
     * 3-byte BGR image whose buffer holds exactly its pixels, that buffer itself, not a copy;
     * otherwise a converted copy. The resize-in-graph path hands these to the model, whose graph
     * reorders the channels ({@code ResizeGraph}), so a JPEG crop costs the CPU no copy (a 300 KB
     * one per 320 px crop, about 0.07 ms). The array may be the image's own: do not change the
     * image afterwards.
     */
    public static byte[] bgrBytes(BufferedImage image) {
        int n = image.getWidth() * image.getHeight() * 3;
        DataBufferByte bytes = plainBgr(image);
        if (bytes != null && bytes.getOffset() == 0 && bytes.getData().length == n) {
            return bytes.getData();
        }
        byte[] bgr = rgbBytes(image);
        for (int i = 0; i < n; i += 3) {
            byte r = bgr[i];
            bgr[i] = bgr[i + 2];
            bgr[i + 2] = r;
        }
        return bgr;
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
     * Rows per block of the horizontal pass. A block of a 320 px wide crop, transposed to ints, is
     * 320 x 64 x 3 x 4 bytes = 240 KB, which stays in L2. Measured on the 320 px crop: 32 rows was
     * about 15% slower (a column's run of 96 ints leaves the JIT's unrolled vector loop little to
     * do), 96 to 320 rows within a few % of 64.
     */
    private static final int BLOCK_ROWS = 64;

    /**
     * Scratch larger than this many ints is not kept between calls: a rare huge image gets fresh
     * arrays instead of pinning megabytes to the thread.
     */
    private static final long MAX_KEPT = 1 << 20;

    /**
     * Per-thread scratch. The resize runs on the decode operator's thread, crop after crop of the
     * same size; reusing its work arrays (about 1.2 MB for a 320 px crop) saves allocating and
     * zeroing them per crop. Only the returned array is new, since it is handed downstream.
     */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Work arrays, one {@code int[]} per row or column rather than one flat array with offsets:
     * C2's SuperWord on JDK 17 vectorises {@code acc[j] += src[j] * w} but gives up when the source
     * index carries a loop-invariant offset that the destination's does not share ({@code src[off +
     * j]}), measured at 0.07 vs 0.36 ns per element here.
     */
    private static final class Scratch {
        private int[][] columns = new int[0][];
        private int[][] mid = new int[0][];
        private int[][] accs = new int[0][];

        int[][] columns(int count, int length) {
            return columns = fit(columns, count, length);
        }

        int[][] mid(int count, int length) {
            return mid = fit(mid, count, length);
        }

        int[] acc(int length) {
            return accs(length)[0];
        }

        /** Four accumulators, for four output columns of the horizontal pass at a time. */
        int[][] accs(int length) {
            return accs = fit(accs, 4, length);
        }

        /** Drops whatever grew past {@link #MAX_KEPT}, once the call that needed it is done. */
        void trim() {
            if ((long) columns.length * (columns.length == 0 ? 0 : columns[0].length) > MAX_KEPT) {
                columns = new int[0][];
            }
            if ((long) mid.length * (mid.length == 0 ? 0 : mid[0].length) > MAX_KEPT) {
                mid = new int[0][];
            }
            if (accs.length > 0 && accs[0].length > MAX_KEPT) {
                accs = new int[0][];
            }
        }

        private static int[][] fit(int[][] a, int count, int length) {
            if (a.length >= count && (count == 0 || a[0].length >= length)) {
                return a;
            }
            return new int[Math.max(count, a.length)]
                    [Math.max(length, a.length == 0 ? 0 : a[0].length)];
        }
    }

    /**
     * Resizes packed pixels that start at {@code offset}: RGB, or BGR when {@code bgr} (read with
     * red and blue swapped; the output is RGB either way).
     *
     * <p>Why it is fast and still Pillow's bits: every output sample is an integer sum of the same
     * integer products, with the same rounding offset, shift and clip, as in Pillow's loops;
     * integer addition is exact in any order, so only the order of the loops differs from Pillow's.
     * Both passes are written as "add a whole run of ints times one weight into an int
     * accumulator", which C2 vectorises. Byte-to-int widening in the same loop would keep it scalar
     * on JDK 17, so the bytes are widened once, up front, and the 8-bit intermediate image is kept
     * as ints.
     */
    private static byte[] resize(
            byte[] in,
            int offset,
            boolean bgr,
            int inWidth,
            int inHeight,
            int outWidth,
            int outHeight) {
        Coefficients vert = Coefficients.of(inHeight, outHeight);
        // Only the rows the vertical pass reads are resampled horizontally (Pillow does the same).
        int firstRow = vert.bounds[0];
        int lastRow = vert.bounds[(outHeight - 1) * 2] + vert.bounds[(outHeight - 1) * 2 + 1];
        int rows = lastRow - firstRow;
        int rowLen = outWidth * 3;
        Scratch scratch = SCRATCH.get();
        int[][] mid = scratch.mid(rows, rowLen);
        if (outWidth != inWidth) {
            horizontal(
                    in,
                    offset,
                    bgr,
                    inWidth,
                    firstRow,
                    rows,
                    outWidth,
                    Coefficients.of(inWidth, outWidth),
                    mid,
                    scratch);
        } else {
            for (int r = 0; r < rows; r++) {
                widen(in, offset + (firstRow + r) * rowLen, bgr, outWidth, mid[r]);
            }
        }
        byte[] out = new byte[outHeight * rowLen];
        if (outHeight == inHeight) {
            // Pillow skips the vertical pass when the height is unchanged (rows == inHeight).
            for (int r = 0; r < rows; r++) {
                narrow(mid[r], out, r * rowLen, rowLen);
            }
        } else {
            vertical(mid, rowLen, firstRow, outHeight, vert, out, scratch);
        }
        scratch.trim();
        return out;
    }

    /** {@code pixels} packed pixels from {@code in} to ints, RGB order. */
    private static void widen(byte[] in, int offset, boolean bgr, int pixels, int[] out) {
        int red = bgr ? 2 : 0;
        int blue = bgr ? 0 : 2;
        for (int i = 0, p = offset; i < pixels * 3; i += 3, p += 3) {
            out[i] = in[p + red] & 0xff;
            out[i + 1] = in[p + 1] & 0xff;
            out[i + 2] = in[p + blue] & 0xff;
        }
    }

    /**
     * The horizontal pass over {@code rows} rows from {@code firstRow}, into {@code mid} (a row of
     * RGB ints each, every value clipped to 8 bits as Pillow's intermediate image is).
     *
     * <p>A row-major filter reads a few neighbouring pixels per output sample: short gathers the
     * JIT cannot vectorise. So each block of rows is first transposed into {@code columns}: for
     * every input column, that column's samples of all the block's rows (rows x 3 ints). An output
     * column is then the sum of a few input columns times their weights, long runs of
     * multiply-adds.
     */
    private static void horizontal(
            byte[] in,
            int offset,
            boolean bgr,
            int inWidth,
            int firstRow,
            int rows,
            int outWidth,
            Coefficients c,
            int[][] mid,
            Scratch scratch) {
        int red = bgr ? 2 : 0;
        int blue = bgr ? 0 : 2;
        int block = Math.min(BLOCK_ROWS, rows);
        int[][] columns = scratch.columns(inWidth, block * 3);
        int[][] accs = scratch.accs(block * 3);
        int[] a0 = accs[0];
        int[] a1 = accs[1];
        int[] a2 = accs[2];
        int[] a3 = accs[3];
        for (int r0 = 0; r0 < rows; r0 += block) {
            int n = Math.min(block, rows - r0);
            int len = n * 3; // one column of this block, in ints
            // Four columns at a time, each column array filled front to back, each row read
            // twelve contiguous bytes at a time. (Column by column instead of row by row saved
            // about 10% of the whole resize, four at a time 2% more. Reading the bytes as ints
            // through a VarHandle was no faster: the scalar stores bound the transpose.)
            int stride = inWidth * 3;
            int base = offset + (firstRow + r0) * stride;
            int x = 0;
            for (; x + 4 <= inWidth; x += 4) {
                int[] c0 = columns[x];
                int[] c1 = columns[x + 1];
                int[] c2 = columns[x + 2];
                int[] c3 = columns[x + 3];
                for (int q = 0, p = base + 3 * x; q < len; q += 3, p += stride) {
                    c0[q] = in[p + red] & 0xff;
                    c0[q + 1] = in[p + 1] & 0xff;
                    c0[q + 2] = in[p + blue] & 0xff;
                    c1[q] = in[p + 3 + red] & 0xff;
                    c1[q + 1] = in[p + 4] & 0xff;
                    c1[q + 2] = in[p + 3 + blue] & 0xff;
                    c2[q] = in[p + 6 + red] & 0xff;
                    c2[q + 1] = in[p + 7] & 0xff;
                    c2[q + 2] = in[p + 6 + blue] & 0xff;
                    c3[q] = in[p + 9 + red] & 0xff;
                    c3[q + 1] = in[p + 10] & 0xff;
                    c3[q + 2] = in[p + 9 + blue] & 0xff;
                }
            }
            for (; x < inWidth; x++) {
                int[] column = columns[x];
                for (int q = 0, p = base + 3 * x; q < len; q += 3, p += stride) {
                    column[q] = in[p + red] & 0xff;
                    column[q + 1] = in[p + 1] & 0xff;
                    column[q + 2] = in[p + blue] & 0xff;
                }
            }
            // Four output columns at a time, so that the write-back into the row arrays touches
            // each row once per four columns, twelve contiguous ints (the whole resize about 12%
            // faster than one column at a time).
            for (x = 0; x + 4 <= outWidth; x += 4) {
                outputColumn(a0, columns, c, x, len);
                outputColumn(a1, columns, c, x + 1, len);
                outputColumn(a2, columns, c, x + 2, len);
                outputColumn(a3, columns, c, x + 3, len);
                for (int r = 0, o = x * 3, q = 0; r < n; r++, q += 3) {
                    int[] row = mid[r0 + r];
                    row[o] = a0[q];
                    row[o + 1] = a0[q + 1];
                    row[o + 2] = a0[q + 2];
                    row[o + 3] = a1[q];
                    row[o + 4] = a1[q + 1];
                    row[o + 5] = a1[q + 2];
                    row[o + 6] = a2[q];
                    row[o + 7] = a2[q + 1];
                    row[o + 8] = a2[q + 2];
                    row[o + 9] = a3[q];
                    row[o + 10] = a3[q + 1];
                    row[o + 11] = a3[q + 2];
                }
            }
            for (; x < outWidth; x++) {
                outputColumn(a0, columns, c, x, len);
                for (int r = 0, o = x * 3, q = 0; r < n; r++, q += 3) {
                    int[] row = mid[r0 + r];
                    row[o] = a0[q];
                    row[o + 1] = a0[q + 1];
                    row[o + 2] = a0[q + 2];
                }
            }
        }
    }

    /** Output column {@code x} of the horizontal pass over the block in {@code columns}. */
    private static void outputColumn(int[] acc, int[][] columns, Coefficients c, int x, int len) {
        accumulate(acc, columns, c.bounds[2 * x], c.bounds[2 * x + 1], c.kk, x * c.ksize, len);
    }

    /**
     * {@code acc[0..len)} = the 8-bit clipped sum of {@code taps} sources from {@code src[first]},
     * weighted by {@code kk[k..]}, plus Pillow's rounding offset: one output column of the
     * horizontal pass or one output row of the vertical pass. Each loop is a plain int loop over
     * base-0 arrays, which C2 vectorises. (One fused loop over up to four taps, padding missing
     * taps with weight 0, measured slower: 0.45 against 0.41 ms per crop.)
     */
    private static void accumulate(
            int[] acc, int[][] src, int first, int taps, int[] kk, int k, int len) {
        int half = 1 << (PRECISION_BITS - 1);
        int[] s0 = src[first];
        int w0 = kk[k];
        for (int j = 0; j < len; j++) {
            acc[j] = half + s0[j] * w0;
        }
        for (int i = 1; i < taps; i++) {
            int[] s = src[first + i];
            int w = kk[k + i];
            for (int j = 0; j < len; j++) {
                acc[j] += s[j] * w;
            }
        }
        for (int j = 0; j < len; j++) {
            acc[j] = clip8(acc[j]);
        }
    }

    /**
     * Pillow's clip8: the fixed-point sum shifted down and clamped to 0..255. Branch-free, so that
     * the loops above still vectorise: Math.min/max and ?: compile to conditional moves, which JDK
     * 17 does not vectorise.
     */
    private static int clip8(int sum) {
        int v = sum >> PRECISION_BITS;
        v &= ~(v >> 31); // below 0: 0
        int over = 255 - v;
        return v + (over & (over >> 31)); // above 255: 255
    }

    /**
     * The vertical pass, one output row at a time: each contributing row of {@code mid} is added
     * into an int accumulator with its weight.
     */
    private static void vertical(
            int[][] mid,
            int rowLen,
            int rowOffset,
            int outHeight,
            Coefficients c,
            byte[] out,
            Scratch scratch) {
        int[] acc = scratch.acc(rowLen);
        for (int y = 0; y < outHeight; y++) {
            accumulate(
                    acc,
                    mid,
                    c.bounds[2 * y] - rowOffset,
                    c.bounds[2 * y + 1],
                    c.kk,
                    y * c.ksize,
                    rowLen);
            narrow(acc, out, y * rowLen, rowLen);
        }
    }

    /** 8-bit ints to bytes (a scalar loop: JDK 17 does not vectorise int-to-byte stores). */
    private static void narrow(int[] values, byte[] out, int offset, int len) {
        for (int j = 0; j < len; j++) {
            out[offset + j] = (byte) values[j];
        }
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
