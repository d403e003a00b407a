package org.bloomstream.inference.image;

import com.sun.jna.Function;
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
import org.bloomstream.inference.jvm.JvmWideInit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libjpeg-turbo's TurboJPEG API (the system's {@code libturbojpeg.so.0}, Debian's {@code
 * libturbojpeg0}) through JNA, for plain JFIF crops ({@link JpegFrame#plainJfif}).
 *
 * <p>Why: it is the decoder the reference itself uses (Debian's Pillow links libjpeg-turbo), so its
 * pixels are Pillow's by construction, and its SIMD IDCT and colour conversion decode a 320 px crop
 * in about 0.35 ms against the JDK's libjpeg 6b's 0.6 ms. JNA copies the pixels into the crop's
 * array: no per-scanline buffers, no image copied into a second one.
 *
 * <p>Optional: when the library is missing (or {@code -Dbloomstream.turbojpeg=off}), {@link
 * #available()} is false and {@link CropImageDecoder} uses the JDK's reader, with the same pixels.
 * {@code -Dbloomstream.turbojpeg=require} makes a missing library an error instead. The choice is
 * logged once per JVM.
 *
 * <p>Class loaders: JNA itself is parent-first on a TaskManager (docs/cluster-operators.md). The
 * library is opened on a thread of {@link JvmWideInit}'s and called through JNA {@code Function}s
 * with Java arrays, so nothing JVM-wide keeps the job's class loader ({@code SessionClusterLeakIT};
 * see {@code Lib} for what did).
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
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                failure = root.getClass().getSimpleName() + ": " + root.getMessage();
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
                                + "; apt-get install libturbojpeg0 to decode in about 40% less CPU)";
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
     * <p>The pixels land in the array {@code buffers} keeps, or in a new array when it does not
     * reuse one (see {@link Buffers}).
     */
    static BufferedImage decode(byte[] jpeg, DimensionCheck limits, Buffers buffers)
            throws CropRejectedException {
        Pointer handle = Lib.tjInitDecompress();
        if (handle == null) {
            return null;
        }
        try {
            NativeLong size = new NativeLong(jpeg.length);
            int[] width = new int[1];
            int[] height = new int[1];
            int[] subsampling = new int[1];
            int[] colourspace = new int[1];
            if (Lib.tjDecompressHeader3(handle, jpeg, size, width, height, subsampling, colourspace)
                    != 0) {
                return null;
            }
            int w = width[0];
            int h = height[0];
            limits.check(w, h);
            int n = Math.multiplyExact(Math.multiplyExact(w, h), 3);
            byte[] pixels = buffers.pixels(n);
            // Flags 0: the accurate integer IDCT and fancy upsampling, libjpeg's defaults and
            // Pillow's. Any warning (libjpeg-turbo returns -1 with TJERR_WARNING and a possibly
            // incomplete image) sends the crop to the general path.
            if (Lib.tjDecompress2(handle, jpeg, size, pixels, w, w * 3, h, TJPF_BGR, 0) != 0) {
                return null;
            }
            return bgrImage(pixels, n, w, h);
        } finally {
            Lib.tjDestroy(handle);
        }
    }

    /**
     * The pixel array of a decoder that one thread uses: with {@code reusePixels} it is kept
     * between decodes, so each image is valid only until the next decode (300 KB less to allocate
     * and zero per 320 px crop). An array above {@value #KEEP_BYTES} bytes is not kept.
     *
     * <p>No native buffers: JNA's {@code Memory} registers with JNA's cleaner, whose thread, when a
     * task thread starts it, keeps that job's class loader (SessionClusterLeakIT). Arrays cost a
     * copy in and out of native memory per call (about 0.05 ms per 320 px crop).
     */
    static final class Buffers {
        static final int KEEP_BYTES = 4 << 20;

        private final boolean reusePixels;
        private byte[] pixels = new byte[0];

        Buffers(boolean reusePixels) {
            this.reusePixels = reusePixels;
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

        /** After a decode: gives back an array too large to keep. */
        void trim() {
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
     * The TurboJPEG 2.x C API (kept in 3.x), called through JNA's {@link Function} objects. Not
     * through a JNA interface ({@code Native.load}) or a direct mapping ({@code Native.register}):
     * both cache the mapped class JVM-wide (JNA's {@code typeOptions}, a weak map whose values
     * refer to their own keys), and a direct mapping also holds a JNI global reference to every
     * mapped method, so the job's class loader was never collected after the job ended
     * (SessionClusterLeakIT kept all ten loaders with either). Functions belong to the library and
     * know nothing of the caller. One decompressor per call: {@code tjInitDecompress} costs
     * microseconds (keeping one per thread measured no faster), and then no native handle outlives
     * a decode.
     */
    private static final class Lib {
        static String name;
        private static Function init;
        private static Function header;
        private static Function decompress;
        private static Function destroy;

        static void register() {
            NativeLibrary library;
            try {
                library = open("turbojpeg");
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                // Without the -dev package there is no unversioned libturbojpeg.so.
                library = open("libturbojpeg.so.0");
            }
            init = library.getFunction("tjInitDecompress");
            header = library.getFunction("tjDecompressHeader3");
            decompress = library.getFunction("tjDecompress2");
            destroy = library.getFunction("tjDestroy");
            name = library.getFile() == null ? library.getName() : library.getFile().toString();
        }

        /**
         * Opens the library first on a thread with none of the job's classes on its stack and JNA's
         * class loader as its context ({@link JvmWideInit}): JNA registers the library with its
         * cleaner, whose thread, started from a task thread, would keep this job's class loader.
         * The second call finds it in JNA's cache (default options: no class loader in them
         * either).
         */
        private static NativeLibrary open(String name) {
            JvmWideInit.callStatic(
                    Native.class.getClassLoader(),
                    NativeLibrary.class,
                    "getInstance",
                    String.class,
                    name);
            return NativeLibrary.getInstance(name);
        }

        static Pointer tjInitDecompress() {
            return init.invokePointer(new Object[0]);
        }

        static int tjDecompressHeader3(
                Pointer handle,
                byte[] jpeg,
                NativeLong size,
                int[] width,
                int[] height,
                int[] subsampling,
                int[] colourspace) {
            return header.invokeInt(
                    new Object[] {handle, jpeg, size, width, height, subsampling, colourspace});
        }

        static int tjDecompress2(
                Pointer handle,
                byte[] jpeg,
                NativeLong size,
                byte[] pixels,
                int width,
                int pitch,
                int height,
                int pixelFormat,
                int flags) {
            return decompress.invokeInt(
                    new Object[] {
                        handle, jpeg, size, pixels, width, pitch, height, pixelFormat, flags
                    });
        }

        static int tjDestroy(Pointer handle) {
            return destroy.invokeInt(new Object[] {handle});
        }
    }
}
