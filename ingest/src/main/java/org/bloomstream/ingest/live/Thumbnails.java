package org.bloomstream.ingest.live;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Small JPEG thumbnails of crops for the page. Any format ImageIO reads with the TwelveMonkeys
 * plugins (JPEG incl. CMYK, PNG, BMP, TIFF incl. 16-bit, GIF) becomes 8-bit RGB, scaled down (never
 * up) so its long edge is at most the given size, in halving steps so that large crops do not
 * alias. Display only: the model never sees these pixels.
 */
final class Thumbnails {
    private Thumbnails() {}

    /** The thumbnail, or null when the bytes are not an image ImageIO can read. */
    static byte[] jpeg(byte[] image, int edge) {
        BufferedImage src;
        // Memory-cached streams: ImageIO's default would write a temporary file per image. The
        // read closes the stream itself (closing it twice would throw).
        try {
            ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(image));
            src = ImageIO.read(in);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        if (src == null || src.getWidth() < 1 || src.getHeight() < 1) {
            return null;
        }
        BufferedImage rgb = draw(src, src.getWidth(), src.getHeight());
        double scale = Math.min(1.0, edge / (double) Math.max(rgb.getWidth(), rgb.getHeight()));
        int w = Math.max(1, (int) Math.round(rgb.getWidth() * scale));
        int h = Math.max(1, (int) Math.round(rgb.getHeight() * scale));
        while (rgb.getWidth() / 2 >= w && rgb.getHeight() / 2 >= h) {
            rgb = draw(rgb, rgb.getWidth() / 2, rgb.getHeight() / 2);
        }
        if (rgb.getWidth() != w || rgb.getHeight() != h) {
            rgb = draw(rgb, w, h);
        }
        return encode(rgb);
    }

    private static BufferedImage draw(BufferedImage src, int w, int h) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(
                    RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(src, 0, 0, w, h, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    private static byte[] encode(BufferedImage rgb) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream buf = new ByteArrayOutputStream(4096);
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(buf)) {
            writer.setOutput(out);
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(0.85f);
            writer.write(null, new IIOImage(rgb, null, null), p);
        } catch (IOException e) {
            return null;
        } finally {
            writer.dispose();
        }
        return buf.toByteArray();
    }
}
