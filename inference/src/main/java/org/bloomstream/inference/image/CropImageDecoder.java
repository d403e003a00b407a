package org.bloomstream.inference.image;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.bloomstream.schemas.avro.DeadLetterReason;

/**
 * Decodes an encoded crop (PNG, JPEG, BMP, TIFF, GIF; CMYK JPEG and 16-bit TIFF through the
 * TwelveMonkeys plugins) into 8-bit RGB.
 *
 * <p>Dimensions are read from the header first and checked against {@link ImageLimits}, so an image
 * that claims to be huge is rejected before its pixels are allocated. Grayscale, 16-bit, indexed
 * and alpha images are valid crops: they are converted to RGB (alpha composited on white, the
 * colour of an empty smear background).
 */
public final class CropImageDecoder {
    private final ImageLimits limits;

    public CropImageDecoder(ImageLimits limits) {
        this.limits = limits;
    }

    public BufferedImage decode(byte[] bytes) throws CropRejectedException {
        if (bytes == null || bytes.length == 0) {
            throw new CropRejectedException(DeadLetterReason.EMPTY_IMAGE, "image has no bytes");
        }
        if (bytes.length > limits.maxBytes()) {
            throw new CropRejectedException(
                    DeadLetterReason.IMAGE_TOO_LARGE,
                    "image is " + bytes.length + " bytes, limit " + limits.maxBytes());
        }
        try (ImageInputStream in =
                new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageReaders.forInput(in); // no JVM-wide registry
            if (!readers.hasNext()) {
                throw new CropRejectedException(
                        DeadLetterReason.UNDECODABLE_IMAGE, "not a known image format");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                checkDimensions(width, height);
                // JPEG readers report a truncated body as a warning and return a half-grey image;
                // for a crop that is damage, not a valid cell.
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((src, warning) -> warnings.add(warning));
                BufferedImage image = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new CropRejectedException(
                            DeadLetterReason.UNDECODABLE_IMAGE,
                            "damaged image: " + String.join("; ", warnings));
                }
                if (image == null) {
                    throw new CropRejectedException(
                            DeadLetterReason.UNDECODABLE_IMAGE, "reader returned no image");
                }
                return toRgb(image);
            } finally {
                reader.dispose();
            }
        } catch (CropRejectedException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Truncated streams, corrupt headers and plugin bugs all end here: never crash the job.
            throw new CropRejectedException(
                    DeadLetterReason.UNDECODABLE_IMAGE,
                    "cannot decode image: " + e.getClass().getSimpleName() + ": " + e.getMessage(),
                    e);
        }
    }

    private void checkDimensions(int width, int height) throws CropRejectedException {
        if (width <= 0 || height <= 0) {
            throw new CropRejectedException(
                    DeadLetterReason.BAD_DIMENSIONS, "image is " + width + "x" + height);
        }
        if (width < limits.minEdge() || height < limits.minEdge()) {
            throw new CropRejectedException(
                    DeadLetterReason.BAD_DIMENSIONS,
                    "image is " + width + "x" + height + ", minimum edge " + limits.minEdge());
        }
        if ((long) width * height > limits.maxPixels()) {
            throw new CropRejectedException(
                    DeadLetterReason.IMAGE_TOO_LARGE,
                    "image claims "
                            + width
                            + "x"
                            + height
                            + " pixels, limit "
                            + limits.maxPixels()
                            + " pixels");
        }
    }

    /**
     * Any decoded image as 8-bit RGB without alpha: a no-op for the layouts decoders usually give
     * (int RGB; 3-byte BGR, which is what JPEG decodes to), a Java2D conversion otherwise.
     */
    static BufferedImage toRgb(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_INT_RGB
                || image.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            return image;
        }
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
}
