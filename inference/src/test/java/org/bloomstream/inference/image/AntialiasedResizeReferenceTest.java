package org.bloomstream.inference.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The vectorised resize against a plain scalar transcription of Pillow's {@code
 * ImagingResampleHorizontal/Vertical_8bpc} (the previous implementation's passes, kept here and
 * only here, on the weights of {@link AntialiasedResize#filterMatrix}): byte for byte, on random
 * images of many shapes. The golden-file and data-set tests check a few real sizes against Pillow
 * itself; this one covers the shapes they do not (odd sizes, upscaling, one pass skipped, one-pixel
 * edges, more rows than one block of the horizontal pass) and the per-thread scratch arrays being
 * reused across sizes and threads.
 */
class AntialiasedResizeReferenceTest {

    /** Pillow's 8-bit bilinear resize, the straightforward way: RGB bytes in, RGB bytes out. */
    static final class Reference {
        private static final int PRECISION_BITS = 22;

        static byte[] resize(byte[] rgb, int inW, int inH, int outW, int outH) {
            byte[] src = rgb;
            int srcRows = inH;
            int rowOffset = 0;
            Filter vert = new Filter(inH, outH);
            if (outW != inW) {
                int first = vert.bounds[0];
                int last = vert.bounds[(outH - 1) * 2] + vert.bounds[(outH - 1) * 2 + 1];
                src = horizontal(rgb, inW, first, last - first, outW, new Filter(inW, outW));
                srcRows = last - first;
                rowOffset = first;
            }
            if (outH == inH && rowOffset == 0 && srcRows == inH) {
                return src == rgb ? rgb.clone() : src;
            }
            return vertical(src, outW, rowOffset, outH, vert);
        }

        static byte[] horizontal(byte[] in, int inW, int firstRow, int rows, int outW, Filter f) {
            byte[] out = new byte[rows * outW * 3];
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < outW; x++) {
                    for (int c = 0; c < 3; c++) {
                        int s = 1 << (PRECISION_BITS - 1);
                        for (int i = 0; i < f.bounds[2 * x + 1]; i++) {
                            int p = ((y + firstRow) * inW + f.bounds[2 * x] + i) * 3 + c;
                            s += (in[p] & 0xff) * f.kk[x * f.ksize + i];
                        }
                        out[(y * outW + x) * 3 + c] = clip8(s);
                    }
                }
            }
            return out;
        }

        static byte[] vertical(byte[] in, int width, int rowOffset, int outH, Filter f) {
            byte[] out = new byte[outH * width * 3];
            for (int y = 0; y < outH; y++) {
                for (int xc = 0; xc < width * 3; xc++) {
                    int s = 1 << (PRECISION_BITS - 1);
                    for (int i = 0; i < f.bounds[2 * y + 1]; i++) {
                        int row = f.bounds[2 * y] - rowOffset + i;
                        s += (in[row * width * 3 + xc] & 0xff) * f.kk[y * f.ksize + i];
                    }
                    out[y * width * 3 + xc] = clip8(s);
                }
            }
            return out;
        }

        static byte clip8(int v) {
            int x = v >> PRECISION_BITS;
            return (byte) (x < 0 ? 0 : Math.min(x, 255));
        }

        /**
         * Pillow's weights for one axis as bounds and taps, read off {@link
         * AntialiasedResize#filterMatrix} (the integers the resize multiplies by, which the Pillow
         * parity tests pin down): each output's taps run from its first to its last non-zero
         * weight. Pillow's own windows may carry zero weights at their ends; those add nothing.
         */
        static final class Filter {
            final int ksize;
            final int[] bounds;
            final int[] kk;

            Filter(int inSize, int outSize) {
                double[] m = AntialiasedResize.filterMatrix(inSize, outSize);
                bounds = new int[outSize * 2];
                int widest = 1;
                for (int o = 0; o < outSize; o++) {
                    int first = 0;
                    while (first < inSize - 1 && m[o * inSize + first] == 0) {
                        first++;
                    }
                    int last = inSize - 1;
                    while (last > first && m[o * inSize + last] == 0) {
                        last--;
                    }
                    bounds[2 * o] = first;
                    bounds[2 * o + 1] = last - first + 1;
                    widest = Math.max(widest, last - first + 1);
                }
                ksize = widest;
                kk = new int[outSize * ksize];
                for (int o = 0; o < outSize; o++) {
                    for (int t = 0; t < bounds[2 * o + 1]; t++) {
                        kk[o * ksize + t] = (int) m[o * inSize + bounds[2 * o] + t];
                    }
                }
            }
        }
    }

    /** Shapes chosen to hit each path and edge; random ones are added below. */
    private static final int[][] SHAPES = {
        {320, 320, 224, 224}, // the job's crop
        {316, 298, 224, 224},
        {360, 363, 224, 224}, // pbc-acevedo's size
        {37, 23, 224, 224}, // upscaling both ways
        {224, 300, 224, 224}, // equal width: no horizontal pass
        {300, 224, 224, 224}, // equal height: no vertical pass
        {50, 40, 50, 40}, // equal both: a copy
        {1, 1, 1, 1},
        {1, 1, 7, 5},
        {1, 57, 1, 13}, // one column
        {57, 1, 13, 1}, // one row
        {1, 57, 9, 3},
        {57, 1, 3, 9},
        {5, 5, 1, 1},
        {401, 7, 13, 300},
        {7, 401, 300, 13},
        {200, 131, 67, 129}, // more rows than one 64-row block, and a ragged last block
        {129, 200, 129, 65},
        {640, 480, 224, 224}, // a large downscale: wide kernels
        {33, 77, 224, 224},
        {2, 3, 3, 2},
    };

    private static byte[] random(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static List<int[]> shapes(Random random) {
        List<int[]> shapes = new ArrayList<>(List.of(SHAPES));
        for (int i = 0; i < 60; i++) {
            int w = 1 + random.nextInt(150);
            int h = 1 + random.nextInt(150);
            int ow = random.nextInt(5) == 0 ? w : 1 + random.nextInt(160);
            int oh = random.nextInt(5) == 0 ? h : 1 + random.nextInt(160);
            shapes.add(new int[] {w, h, ow, oh});
        }
        return shapes;
    }

    @Test
    void packedRgbBytesMatchTheScalarReference() {
        Random random = new Random(1801);
        for (int[] z : shapes(random)) {
            byte[] rgb = random(random, z[0] * z[1] * 3);
            assertThat(AntialiasedResize.resize(rgb, z[0], z[1], z[2], z[3]))
                    .as("%dx%d -> %dx%d", z[0], z[1], z[2], z[3])
                    .containsExactly(Reference.resize(rgb, z[0], z[1], z[2], z[3]));
        }
    }

    /** A JPEG's BGR raster (read in place, channels swapped) and an int RGB raster. */
    @Test
    void bgrAndIntRgbImagesMatchTheScalarReferenceOnTheirRgbBytes() {
        Random random = new Random(1802);
        for (int[] z : shapes(random)) {
            byte[] rgb = random(random, z[0] * z[1] * 3);
            byte[] expected = Reference.resize(rgb, z[0], z[1], z[2], z[3]);

            BufferedImage bgr = new BufferedImage(z[0], z[1], BufferedImage.TYPE_3BYTE_BGR);
            byte[] data = ((DataBufferByte) bgr.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < rgb.length; i += 3) {
                data[i] = rgb[i + 2];
                data[i + 1] = rgb[i + 1];
                data[i + 2] = rgb[i];
            }
            assertThat(AntialiasedResize.resizeToRgb(bgr, z[2], z[3]))
                    .as("BGR %dx%d -> %dx%d", z[0], z[1], z[2], z[3])
                    .containsExactly(expected);

            BufferedImage ints = new BufferedImage(z[0], z[1], BufferedImage.TYPE_INT_RGB);
            int[] px = ((DataBufferInt) ints.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < px.length; i++) {
                px[i] =
                        (rgb[3 * i] & 0xff) << 16
                                | (rgb[3 * i + 1] & 0xff) << 8
                                | (rgb[3 * i + 2] & 0xff);
            }
            assertThat(AntialiasedResize.resizeToRgb(ints, z[2], z[3]))
                    .as("int RGB %dx%d -> %dx%d", z[0], z[1], z[2], z[3])
                    .containsExactly(expected);
        }
    }

    /**
     * The scratch arrays are reused: a large image (larger than what is kept between calls), then
     * small ones, then the large one again, each right; and two threads resizing different shapes
     * at once do not see each other's scratch.
     */
    @Test
    void scratchReuseAcrossSizesAndThreadsDoesNotLeak() throws Exception {
        Random random = new Random(1803);
        int[][] sequence = {
            {320, 320, 224, 224},
            {1700, 1300, 900, 700}, // past the kept-scratch limit
            {9, 11, 224, 224},
            {320, 320, 224, 224},
            {1700, 1300, 900, 700},
            {3, 2, 1, 1},
        };
        List<byte[]> inputs = new ArrayList<>();
        List<byte[]> expected = new ArrayList<>();
        for (int[] z : sequence) {
            byte[] rgb = random(random, z[0] * z[1] * 3);
            inputs.add(rgb);
            expected.add(Reference.resize(rgb, z[0], z[1], z[2], z[3]));
        }
        for (int i = 0; i < sequence.length; i++) {
            checkCall(sequence, inputs, expected, i);
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int start = t;
                Runnable calls =
                        () -> {
                            for (int round = 0; round < 20; round++) {
                                checkCall(
                                        sequence,
                                        inputs,
                                        expected,
                                        (start + round) % sequence.length);
                            }
                        };
                runs.add(pool.submit(calls));
            }
            for (Future<?> run : runs) {
                run.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void checkCall(
            int[][] sequence, List<byte[]> inputs, List<byte[]> expected, int i) {
        int[] z = sequence[i];
        assertThat(AntialiasedResize.resize(inputs.get(i), z[0], z[1], z[2], z[3]))
                .as(
                        "%s: call %d, %dx%d -> %dx%d",
                        Thread.currentThread().getName(), i, z[0], z[1], z[2], z[3])
                .containsExactly(expected.get(i));
    }
}
