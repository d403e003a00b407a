package org.bloomstream.inference.image;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libjpeg-turbo's TurboJPEG API (the system's {@code libturbojpeg.so.0}, Debian's {@code
 * libturbojpeg0}) through JNA, for plain JFIF crops ({@link JpegFrame#plainJfif}).
 *
 * <p>Why: it is the decoder the reference itself uses (Debian's Pillow links libjpeg-turbo), so its
 * pixels are Pillow's by construction, and its SIMD IDCT and colour conversion decode a 320 px crop
 * in about half the CPU of the JDK's libjpeg 6b. It writes straight into the crop's pixel array: no
 * per-scanline buffers and no second copy.
 *
 * <p>Optional: when the library is missing (or {@code -Dbloomstream.turbojpeg=off}), {@link
 * #available()} is false and {@link CropImageDecoder} uses the JDK's reader, with the same pixels.
 * {@code -Dbloomstream.turbojpeg=require} makes a missing library an error instead. The choice is
 * logged once per JVM.
 *
 * <p>Class loaders: JNA itself is parent-first on a TaskManager (docs/cluster-operators.md). The
 * library is opened without this class's loader in its options, so JNA's JVM-wide library cache
 * holds nothing of the job's; the native methods are registered on a nested class of the job's own,
 * which goes away with the job's loader ({@code SessionClusterLeakIT}).
 */
public final class TurboJpeg {
    private static final Logger LOG = LoggerFactory.getLogger(TurboJpeg.class);

    /**
     * Which decoder this JVM uses for plain JFIF crops: what {@link #available()} says, in words.
     */
    private static final String STATUS;

    private static final boolean AVAILABLE;

    static final int TJPF_BGR = 1;

    static {
        String mode = System.getProperty("bloomstream.turbojpeg", "auto").toLowerCase(Locale.ROOT);
        boolean ok = false;
        String status;
        if (mode.equals("off")) {
            status = "JDK libjpeg (libjpeg-turbo switched off: -Dbloomstream.turbojpeg=off)";
        } else {
            String failure = null;
            try {
                Lib.register();
                ok = true;
            } catch (LinkageError | RuntimeException e) {
                failure = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            if (ok) {
                status = "libjpeg-turbo (" + Lib.name + ")";
            } else if (mode.equals("require")) {
                throw new IllegalStateException(
                        "-Dbloomstream.turbojpeg=require, but libturbojpeg cannot be loaded"
                                + " (Debian/Ubuntu: apt-get install libturbojpeg0): "
                                + failure);
            } else {
                status =
                        "JDK libjpeg (libturbojpeg not loaded: "
                                + failure
                                + "; apt-get install libturbojpeg0 to decode about twice as fast)";
            }
        }
        AVAILABLE = ok;
        STATUS = status;
        LOG.info("JPEG crops decode with {}", STATUS);
    }

    private TurboJpeg() {}

    /** Whether libjpeg-turbo decodes plain JFIF crops in this JVM. */
    public static boolean available() {
        return AVAILABLE;
    }

    /** Which decoder plain JFIF crops go through, and why. */
    public static String status() {
        return STATUS;
    }

    /**
     * A plain JFIF crop as an 8-bit {@code TYPE_3BYTE_BGR} image, its dimensions checked by {@code
     * limits} before any pixel is decoded; null when libjpeg-turbo reports a warning or an error (a
     * truncated or corrupt crop), so that the caller's general path decides, with the JDK's
     * reader's words. Grey crops come out with the grey repeated in all three channels, as Pillow's
     * {@code convert("RGB")} makes them.
     *
     * <p>The pixels land in {@code buffers.pixels}, or in a new array when {@code buffers} does not
     * reuse its array (see {@link Buffers}).
     */
    static BufferedImage decode(byte[] jpeg, DimensionCheck limits, Buffers buffers)
            throws CropRejectedException {
        Pointer handle = Lib.tjInitDecompress();
        if (handle == null) {
            return null;
        }
        try {
            // Native buffers, not Java arrays: JNA passes a Java array by copying it into
            // malloc'd memory and back on every call, which cost 0.05 ms per 320 px crop.
            Memory in = buffers.in(jpeg.length);
            in.write(0, jpeg, 0, jpeg.length);
            NativeLong size = new NativeLong(jpeg.length);
            int[] width = new int[1];
            int[] height = new int[1];
            int[] subsampling = new int[1];
            int[] colourspace = new int[1];
            if (Lib.tjDecompressHeader3(handle, in, size, width, height, subsampling, colourspace)
                    != 0) {
                return null;
            }
            int w = width[0];
            int h = height[0];
            limits.check(w, h);
            int n = Math.multiplyExact(Math.multiplyExact(w, h), 3);
            Memory out = buffers.out(n);
            // Flags 0: the accurate integer IDCT and fancy upsampling, libjpeg's defaults and
            // Pillow's. Any warning (libjpeg-turbo returns -1 with TJERR_WARNING and a possibly
            // incomplete image) sends the crop to the general path.
            if (Lib.tjDecompress2(handle, in, size, out, w, w * 3, h, TJPF_BGR, 0) != 0) {
                return null;
            }
            byte[] pixels = buffers.pixels(n);
            out.read(0, pixels, 0, n);
            return bgrImage(pixels, n, w, h);
        } finally {
            Lib.tjDestroy(handle);
        }
    }

    /**
     * Native memory for one decode at a time: the JPEG going in and the pixels coming out, kept
     * between decodes (and grown as needed) by a decoder that one thread uses. With {@code
     * reusePixels} the Java array the pixels are copied into is kept too, so each image is valid
     * only until the next decode: 300 KB less to allocate and zero per 320 px crop. Buffers above
     * {@value #KEEP_BYTES} bytes are freed after the decode that needed them.
     */
    static final class Buffers implements AutoCloseable {
        static final int KEEP_BYTES = 4 << 20;

        private final boolean reusePixels;
        private Memory in;
        private Memory out;
        private byte[] pixels = new byte[0];

        Buffers(boolean reusePixels) {
            this.reusePixels = reusePixels;
        }

        private Memory in(int n) {
            in = fit(in, n);
            return in;
        }

        private Memory out(int n) {
            out = fit(out, n);
            return out;
        }

        private byte[] pixels(int n) {
            if (!reusePixels) {
                return new byte[n];
            }
            if (pixels.length < n) {
                pixels = new byte[n];
            }
            return pixels;
        }

        private static Memory fit(Memory m, int n) {
            if (m != null && m.size() >= n) {
                return m;
            }
            if (m != null) {
                m.close();
            }
            return new Memory(Math.max(n, 64 << 10));
        }

        /** Frees the native memory now (the garbage collector would, later). */
        @Override
        public void close() {
            if (in != null) {
                in.close();
                in = null;
            }
            if (out != null) {
                out.close();
                out = null;
            }
        }

        /** After a decode: gives back buffers too large to keep. */
        void trim() {
            if (in != null && in.size() > KEEP_BYTES) {
                in.close();
                in = null;
            }
            if (out != null && out.size() > KEEP_BYTES) {
                out.close();
                out = null;
            }
            if (pixels.length > KEEP_BYTES) {
                pixels = new byte[0];
            }
        }
    }

    /** Checks a crop's dimensions before its pixels are decoded. */
    @FunctionalInterface
    interface DimensionCheck {
        void check(int width, int height) throws CropRejectedException;
    }

    /**
     * The first {@code n} bytes of {@code pixels} (B, G, R per pixel, row after row) as a {@code
     * TYPE_3BYTE_BGR} image.
     */
    static BufferedImage bgrImage(byte[] pixels, int n, int width, int height) {
        WritableRaster raster =
                Raster.createInterleavedRaster(
                        new DataBufferByte(pixels, n),
                        width,
                        height,
                        width * 3,
                        3,
                        new int[] {2, 1, 0},
                        null);
        ComponentColorModel colours =
                new ComponentColorModel(
                        ColorSpace.getInstance(ColorSpace.CS_sRGB),
                        new int[] {8, 8, 8},
                        false,
                        false,
                        Transparency.OPAQUE,
                        DataBuffer.TYPE_BYTE);
        return new BufferedImage(colours, raster, false, null);
    }

    /**
     * The TurboJPEG 2.x C API (kept in 3.x), directly mapped: JNA's fastest call path. One
     * decompressor per call: {@code tjInitDecompress} costs microseconds (keeping one per thread
     * measured no faster), and then no native handle outlives a decode.
     */
    private static final class Lib {
        static String name;

        static void register() {
            NativeLibrary library;
            try {
                library = NativeLibrary.getInstance("turbojpeg");
            } catch (UnsatisfiedLinkError e) {
                // Without the -dev package there is no unversioned libturbojpeg.so.
                library = NativeLibrary.getInstance("libturbojpeg.so.0");
            }
            Native.register(Lib.class, library);
            name = library.getFile() == null ? library.getName() : library.getFile().toString();
        }

        static native Pointer tjInitDecompress();

        static native int tjDecompressHeader3(
                Pointer handle,
                Pointer jpeg,
                NativeLong size,
                int[] width,
                int[] height,
                int[] subsampling,
                int[] colourspace);

        static native int tjDecompress2(
                Pointer handle,
                Pointer jpeg,
                NativeLong size,
                Pointer pixels,
                int width,
                int pitch,
                int height,
                int pixelFormat,
                int flags);

        static native int tjDestroy(Pointer handle);
    }
}
