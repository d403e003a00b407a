package org.bloomstream.ingest;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/** Image bytes for tests: written with ImageIO, or crafted byte by byte where ImageIO cannot. */
public final class TestImages {
    static {
        System.setProperty("java.awt.headless", "true");
        ImageIO.scanForPlugins();
        ImageIO.setUseCache(false);
    }

    private TestImages() {}

    /** An RGB image with a gradient, so every encoder has something non-trivial to write. */
    public static BufferedImage rgb(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, (x * 255 / width) << 16 | (y * 255 / height) << 8 | 0x80);
            }
        }
        return image;
    }

    /** A grayscale image of the given {@link BufferedImage} type (byte or ushort gray). */
    public static BufferedImage gray(int width, int height, int type) {
        BufferedImage image = new BufferedImage(width, height, type);
        WritableRaster r = image.getRaster();
        int max = type == BufferedImage.TYPE_USHORT_GRAY ? 65535 : 255;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                r.setSample(x, y, 0, (long) (x + y) * max / (width + height));
            }
        }
        return image;
    }

    /** A 16-bit-per-channel RGB image (48 bits per pixel), as microscope cameras write TIFFs. */
    public static BufferedImage rgb16(int width, int height) {
        java.awt.image.ComponentColorModel cm =
                new java.awt.image.ComponentColorModel(
                        java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_sRGB),
                        false,
                        false,
                        java.awt.Transparency.OPAQUE,
                        DataBuffer.TYPE_USHORT);
        WritableRaster r = cm.createCompatibleWritableRaster(width, height);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                r.setSample(x, y, 0, x * 65535 / width);
                r.setSample(x, y, 1, y * 65535 / height);
                r.setSample(x, y, 2, 40000);
            }
        }
        return new BufferedImage(cm, r, false, null);
    }

    /** A JPEG whose SOF header claims the given size (the scan data is of a small image). */
    public static byte[] jpegClaiming(int width, int height) {
        byte[] jpeg = encode(rgb(16, 16), "jpeg");
        int i = 2;
        while (i + 4 < jpeg.length) {
            int marker = jpeg[i + 1] & 0xFF;
            int length = (jpeg[i + 2] & 0xFF) << 8 | (jpeg[i + 3] & 0xFF);
            if (marker == 0xC0 || marker == 0xC2) {
                jpeg[i + 5] = (byte) (height >> 8);
                jpeg[i + 6] = (byte) height;
                jpeg[i + 7] = (byte) (width >> 8);
                jpeg[i + 8] = (byte) width;
                return jpeg;
            }
            i += 2 + length;
        }
        throw new IllegalStateException("no SOF marker");
    }

    /**
     * Encodes with the first ImageIO writer for the format that can write the image (TwelveMonkeys'
     * TIFF writer cannot write 16-bit RGB; the JDK's can).
     */
    public static byte[] encode(BufferedImage image, String format) {
        return encode(image, format, null);
    }

    /**
     * As {@link #encode(BufferedImage, String)}, with the writer's default parameters changed by
     * {@code params} (e.g. progressive JPEG); null leaves the defaults.
     */
    public static byte[] encode(
            BufferedImage image, String format, Consumer<ImageWriteParam> params) {
        java.util.Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(format);
        Exception last = null;
        while (writers.hasNext()) {
            ImageWriter writer = writers.next();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
                writer.setOutput(ios);
                if (params == null) {
                    writer.write(image);
                } else {
                    ImageWriteParam p = writer.getDefaultWriteParam();
                    params.accept(p);
                    writer.write(null, new IIOImage(image, null, null), p);
                }
                ios.flush();
                return out.toByteArray();
            } catch (IOException | RuntimeException e) {
                last = e;
            } finally {
                writer.dispose();
            }
        }
        throw new IllegalStateException(
                "no ImageIO writer for " + format + " could write it", last);
    }

    public static byte[] png(int width, int height) {
        return encode(rgb(width, height), "png");
    }

    /**
     * A PNG that is valid up to its header but whose IHDR claims any dimensions: signature, IHDR
     * (8-bit grayscale) with a correct CRC, one tiny IDAT and IEND. Decoding its pixels would need
     * width*height bytes; reading its header needs none.
     */
    public static byte[] pngClaiming(int width, int height) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            ByteBuffer ihdr = ByteBuffer.allocate(13);
            ihdr.putInt(width).putInt(height);
            ihdr.put((byte) 8); // bit depth
            ihdr.put((byte) 0); // colour type: grayscale
            ihdr.put((byte) 0); // compression
            ihdr.put((byte) 0); // filter
            ihdr.put((byte) 0); // interlace
            out.write(chunk("IHDR", ihdr.array()));
            ByteArrayOutputStream zipped = new ByteArrayOutputStream();
            try (DeflaterOutputStream z = new DeflaterOutputStream(zipped)) {
                z.write(new byte[] {0, 0, 0, 0}); // one filter byte and a few pixels, nothing more
            }
            out.write(chunk("IDAT", zipped.toByteArray()));
            out.write(chunk("IEND", new byte[0]));
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One PNG chunk: length, type, data, CRC-32 over type and data. */
    public static byte[] chunk(String type, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeInt(data.length);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeInt((int) crc.getValue());
        return bytes.toByteArray();
    }

    /**
     * A CMYK JPEG: a 4-band raster written as is (no colour conversion), with an Adobe APP14 marker
     * (transform 0) right after SOI so readers take the four components as C, M, Y, K.
     */
    public static byte[] cmykJpeg(int width, int height) {
        WritableRaster raster =
                Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, width, height, 4, null);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                raster.setSample(x, y, 0, x * 255 / width);
                raster.setSample(x, y, 1, y * 255 / height);
                raster.setSample(x, y, 2, 100);
                raster.setSample(x, y, 3, 20);
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(raster, null, null), null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        byte[] plain = bytes.toByteArray();
        byte[] app14 = {
            (byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0
        };
        byte[] cmyk = new byte[plain.length + app14.length];
        System.arraycopy(plain, 0, cmyk, 0, 2);
        System.arraycopy(app14, 0, cmyk, 2, app14.length);
        System.arraycopy(plain, 2, cmyk, 2 + app14.length, plain.length - 2);
        return cmyk;
    }

    /** Number of components in a JPEG's first SOFn segment, or -1 if there is none. */
    public static int jpegComponents(byte[] jpeg) {
        int i = 2;
        while (i + 4 < jpeg.length) {
            if ((jpeg[i] & 0xFF) != 0xFF) {
                return -1;
            }
            int marker = jpeg[i + 1] & 0xFF;
            int length = (jpeg[i + 2] & 0xFF) << 8 | (jpeg[i + 3] & 0xFF);
            boolean sof =
                    marker >= 0xC0
                            && marker <= 0xCF
                            && marker != 0xC4
                            && marker != 0xC8
                            && marker != 0xCC;
            if (sof) {
                return jpeg[i + 9] & 0xFF;
            }
            i += 2 + length;
        }
        return -1;
    }

    /** The bit depth and colour type of a PNG's IHDR. */
    public static int[] pngDepthAndColourType(byte[] png) {
        return new int[] {png[24] & 0xFF, png[25] & 0xFF};
    }

    public static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        return b;
    }
}
