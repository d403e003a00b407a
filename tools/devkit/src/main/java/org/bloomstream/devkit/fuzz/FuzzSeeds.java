package org.bloomstream.devkit.fuzz;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.bloomstream.devkit.feed.CellKind;
import org.bloomstream.devkit.synthetic.CellRenderer;
import org.bloomstream.devkit.synthetic.SyntheticScanner;

/**
 * The valid crops the fuzzer starts from: synthetic cells from the project's renderer, written in
 * every format and pixel layout a scanner may send (JPEG colour and gray, PNG 8-bit RGB, RGBA and
 * 16-bit gray, BMP, GIF, TIFF 8-bit and 16-bit), plus real crops read in place from a folder when
 * one is given.
 */
public final class FuzzSeeds {
    static {
        System.setProperty("java.awt.headless", "true");
        ImageIO.setUseCache(false);
    }

    /** One valid crop: a name for messages (format and source, no ids) and its bytes. */
    public record Seed(String name, byte[] bytes) {}

    private FuzzSeeds() {}

    /** Synthetic cells, deterministic in {@code seed}. */
    public static List<Seed> synthetic(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        CellKind[] kinds = CellKind.values();
        List<Seed> out = new ArrayList<>();
        int[] sizes = {64, 96, 128};
        for (int size : sizes) {
            CellRenderer renderer = new CellRenderer(size);
            BufferedImage rgb =
                    renderer.render(kinds[random.nextInt(kinds.length)], random.nextLong());
            out.add(
                    new Seed(
                            "jpeg-" + size,
                            SyntheticScanner.renderJpeg(
                                    renderer,
                                    kinds[random.nextInt(kinds.length)],
                                    random.nextLong())));
            out.add(new Seed("png-rgb-" + size, encode(rgb, "png")));
            out.add(new Seed("png-rgba-" + size, encode(withAlpha(rgb), "png")));
            out.add(new Seed("png-gray16-" + size, encode(gray16(rgb), "png")));
            out.add(new Seed("jpeg-gray-" + size, encode(gray8(rgb), "jpeg")));
            out.add(new Seed("bmp-" + size, encode(rgb, "bmp")));
            out.add(new Seed("gif-" + size, encode(rgb, "gif")));
            out.add(new Seed("tiff-rgb-" + size, encode(rgb, "tiff")));
            out.add(new Seed("tiff-gray16-" + size, encode(gray16(rgb), "tiff")));
            out.add(new Seed("tiff-rgb48-" + size, encode(rgb16(rgb), "tiff")));
        }
        return out;
    }

    /**
     * Up to {@code max} image files under {@code dir} (any depth), picked with {@code seed}; read
     * in place. Empty if the folder does not exist.
     */
    public static List<Seed> real(Path dir, long seed, int max) throws IOException {
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).filter(FuzzSeeds::isImageName).sorted().toList();
        }
        List<Path> pool = new ArrayList<>(files);
        SplittableRandom random = new SplittableRandom(seed);
        List<Seed> out = new ArrayList<>();
        while (out.size() < max && !pool.isEmpty()) {
            Path p = pool.remove(random.nextInt(pool.size()));
            byte[] bytes = Files.readAllBytes(p);
            // the name says the format and folder only: a file name may carry a patient's id
            out.add(new Seed("real-" + extension(p), bytes));
        }
        return out;
    }

    static boolean isImageName(Path p) {
        String ext = extension(p);
        return List.of("jpg", "jpeg", "png", "bmp", "tif", "tiff", "gif").contains(ext);
    }

    private static String extension(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    static BufferedImage withAlpha(BufferedImage rgb) {
        BufferedImage out =
                new BufferedImage(rgb.getWidth(), rgb.getHeight(), BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < rgb.getHeight(); y++) {
            for (int x = 0; x < rgb.getWidth(); x++) {
                int alpha = 128 + (x * 127 / Math.max(1, rgb.getWidth() - 1));
                out.setRGB(x, y, alpha << 24 | (rgb.getRGB(x, y) & 0xFFFFFF));
            }
        }
        return out;
    }

    static BufferedImage gray8(BufferedImage rgb) {
        BufferedImage out =
                new BufferedImage(rgb.getWidth(), rgb.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
        out.getGraphics().drawImage(rgb, 0, 0, null);
        return out;
    }

    static BufferedImage gray16(BufferedImage rgb) {
        BufferedImage out =
                new BufferedImage(rgb.getWidth(), rgb.getHeight(), BufferedImage.TYPE_USHORT_GRAY);
        WritableRaster r = out.getRaster();
        for (int y = 0; y < rgb.getHeight(); y++) {
            for (int x = 0; x < rgb.getWidth(); x++) {
                int p = rgb.getRGB(x, y);
                int lum =
                        ((p >> 16 & 0xFF) * 299 + (p >> 8 & 0xFF) * 587 + (p & 0xFF) * 114) / 1000;
                r.setSample(x, y, 0, lum * 257);
            }
        }
        return out;
    }

    /** 16 bits per channel RGB (48 bpp), as microscope cameras write TIFFs. */
    static BufferedImage rgb16(BufferedImage rgb) {
        ComponentColorModel cm =
                new ComponentColorModel(
                        ColorSpace.getInstance(ColorSpace.CS_sRGB),
                        false,
                        false,
                        java.awt.Transparency.OPAQUE,
                        DataBuffer.TYPE_USHORT);
        WritableRaster r = cm.createCompatibleWritableRaster(rgb.getWidth(), rgb.getHeight());
        for (int y = 0; y < rgb.getHeight(); y++) {
            for (int x = 0; x < rgb.getWidth(); x++) {
                int p = rgb.getRGB(x, y);
                r.setSample(x, y, 0, (p >> 16 & 0xFF) * 257);
                r.setSample(x, y, 1, (p >> 8 & 0xFF) * 257);
                r.setSample(x, y, 2, (p & 0xFF) * 257);
            }
        }
        return new BufferedImage(cm, r, false, null);
    }

    /**
     * Encodes with the first ImageIO writer for the format that can write the image (TwelveMonkeys'
     * TIFF writer cannot write 48-bit RGB; the JDK's can).
     */
    static byte[] encode(BufferedImage image, String format) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(format);
        Exception last = null;
        while (writers.hasNext()) {
            ImageWriter writer = writers.next();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
                writer.setOutput(ios);
                writer.write(image);
                ios.flush();
                if (out.size() > 0) {
                    return out.toByteArray();
                }
            } catch (IOException | RuntimeException e) {
                last = e;
            } finally {
                writer.dispose();
            }
        }
        throw new UncheckedIOException(
                new IOException("no ImageIO writer for " + format + " could write the seed", last));
    }
}
