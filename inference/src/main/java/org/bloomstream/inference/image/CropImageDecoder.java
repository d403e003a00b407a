package org.bloomstream.inference.image;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.bloomstream.schemas.avro.DeadLetterReason;

/**
 * Decodes an encoded crop (PNG, JPEG, BMP, TIFF, GIF; CMYK and YCCK JPEG, 16-bit and tiled TIFF
 * through the TwelveMonkeys plugins) into 8-bit RGB, to the pixels that the reference
 * preprocessing, Pillow's {@code Image.open(path).convert("RGB")}, gives.
 *
 * <p>Dimensions are read from the header first and checked against {@link ImageLimits}, so an image
 * that claims to be huge is rejected before its pixels are allocated.
 *
 * <p>The decoding policy is the reference's:
 *
 * <ul>
 *   <li>An image is damaged when its pixel data is really missing or corrupt: the reader fails, a
 *       JPEG ends before its image does (the JPEG readers then warn and return a half-grey image,
 *       where Pillow refuses the file), or a PNG header chunk fails its CRC (Pillow checks those).
 *       A reader's other warnings are not damage: TwelveMonkeys warns about every TIFF strip whose
 *       {@code StripByteCounts} is smaller than a full strip, which libtiff and Pillow accept (and
 *       which the JDK's own TIFF writer produces); when the bytes are really not there, the read
 *       fails instead.
 *   <li>Colours follow {@code convert("RGB")} ({@link PillowRgb}): alpha dropped by default ({@link
 *       AlphaPolicy}), palettes looked up, 16-bit and CMYK reduced as Pillow reduces them, ICC
 *       profiles not applied.
 *   <li>EXIF orientation is not applied: Pillow's {@code Image.open} does not apply it either, so a
 *       crop reaches the model as stored.
 *   <li>Multi-page TIFFs and animated GIFs give their first page or frame.
 * </ul>
 */
public final class CropImageDecoder {
    private final ImageLimits limits;
    private final AlphaPolicy alpha;

    /** libjpeg-turbo's pixel array, kept between decodes; null: a new one per decode. */
    private final TurboJpeg.Buffers buffers;

    /**
     * A decoder with the reference's alpha policy, {@link AlphaPolicy#DROP}; any number of threads
     * may share it.
     */
    public CropImageDecoder(ImageLimits limits) {
        this(limits, AlphaPolicy.DROP);
    }

    /** A decoder that any number of threads may share. */
    public CropImageDecoder(ImageLimits limits, AlphaPolicy alpha) {
        this(limits, alpha, null);
    }

    private CropImageDecoder(ImageLimits limits, AlphaPolicy alpha, TurboJpeg.Buffers buffers) {
        this.limits = limits;
        this.alpha = alpha;
        this.buffers = buffers;
    }

    /**
     * A decoder for one thread at a time (an operator's). With {@code reusePixels}, the JPEG images
     * it returns share one pixel array: each is valid only until the next {@link #decode}, which
     * suits a caller that resizes a crop before it decodes the next one (300 KB less to allocate
     * per 320 px crop).
     */
    public static CropImageDecoder forOneThread(
            ImageLimits limits, AlphaPolicy alpha, boolean reusePixels) {
        return new CropImageDecoder(limits, alpha, new TurboJpeg.Buffers(reusePixels));
    }

    public AlphaPolicy alphaPolicy() {
        return alpha;
    }

    /** The crop as 8-bit RGB ({@code TYPE_INT_RGB}), or the reason it cannot be a crop. */
    public BufferedImage decode(byte[] bytes) throws CropRejectedException {
        if (bytes == null || bytes.length == 0) {
            throw new CropRejectedException(DeadLetterReason.EMPTY_IMAGE, "image has no bytes");
        }
        if (bytes.length > limits.maxBytes()) {
            throw new CropRejectedException(
                    DeadLetterReason.IMAGE_TOO_LARGE,
                    "image is " + bytes.length + " bytes, limit " + limits.maxBytes());
        }
        String damage = PngHeaderCheck.damage(bytes);
        if (damage != null) {
            throw new CropRejectedException(DeadLetterReason.UNDECODABLE_IMAGE, damage);
        }
        JpegFrame frame = JpegFrame.isJpeg(bytes) ? JpegFrame.of(bytes) : null;
        if (frame != null && !frame.fourComponents()) {
            // The JPEG readers convert a crop with an embedded ICC profile to sRGB; Pillow's
            // Image.open returns the stored samples. Without the profile segments the readers do
            // the same.
            bytes = JpegFrame.withoutIccProfile(bytes);
        }
        if (frame != null && frame.plainJfif()) {
            BufferedImage image =
                    TurboJpeg.available() ? decodeTurbo(bytes) : readPlainJfif(bytes, frame);
            if (image != null) {
                return toRgb(image, alpha);
            }
            // The fast path failed or warned: the general path below decides, and says why.
        }
        try (ImageInputStream in = stream(bytes)) {
            Iterator<ImageReader> readers = ImageReaders.forInput(in); // no JVM-wide registry
            if (!readers.hasNext()) {
                throw new CropRejectedException(
                        DeadLetterReason.UNDECODABLE_IMAGE, "not a known image format");
            }
            BufferedImage image = read(readers.next(), in, frame);
            if (image == null) {
                throw new CropRejectedException(
                        DeadLetterReason.UNDECODABLE_IMAGE, "reader returned no image");
            }
            return toRgb(image, alpha);
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

    private BufferedImage decodeTurbo(byte[] bytes) throws CropRejectedException {
        if (buffers != null) {
            try {
                return TurboJpeg.decode(bytes, this::checkDimensions, buffers);
            } finally {
                buffers.trim();
            }
        }
        return TurboJpeg.decode(bytes, this::checkDimensions, new TurboJpeg.Buffers(false));
    }

    /**
     * A plain JFIF crop through the JDK's reader alone, or null when that reader is missing or
     * fails (the caller then takes the general path, which reports the failure).
     */
    private BufferedImage readPlainJfif(byte[] bytes, JpegFrame frame)
            throws CropRejectedException {
        try (ImageInputStream in = stream(bytes)) {
            ImageReader reader = ImageReaders.jdkJpeg();
            return reader == null ? null : read(reader, in, frame);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static ImageInputStream stream(byte[] bytes) {
        return new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes));
    }

    /**
     * Image 0 of {@code in} through {@code reader}, which is disposed: the dimensions are checked
     * against the limits before any pixel is read, and a JPEG's truncation warnings after. CMYK and
     * YCCK JPEGs are converted here ({@link PillowRgb#fromAdobeJpeg}). Null when the reader returns
     * no image.
     */
    private BufferedImage read(ImageReader reader, ImageInputStream in, JpegFrame frame)
            throws IOException, CropRejectedException {
        try {
            reader.setInput(in, true, true);
            checkDimensions(reader.getWidth(0), reader.getHeight(0));
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((src, warning) -> warnings.add(warning));
            if (frame != null && frame.fourComponents()) {
                // CMYK and YCCK JPEG: the readers convert these through an ICC profile; Pillow
                // uses its own arithmetic on the raw (Adobe-inverted) samples.
                Raster samples = reader.readRaster(0, null);
                rejectMissingData(true, warnings);
                return PillowRgb.fromAdobeJpeg(samples, frame.ycck());
            }
            BufferedImage image = reader.read(0);
            rejectMissingData(frame != null, warnings);
            return image;
        } finally {
            reader.dispose();
        }
    }

    /**
     * The warnings that mean pixel data is missing. The JPEG readers warn, and fill the rest of the
     * image with grey, when the data ends early ("Premature end of JPEG file", TwelveMonkeys'
     * "Truncated File - Missing EOI marker"); Pillow refuses those files as truncated. Other
     * warnings (a TIFF strip shorter than its declared count, extraneous bytes between JPEG
     * markers) describe files that Pillow reads, and the pixels are complete.
     */
    private static void rejectMissingData(boolean jpeg, List<String> warnings)
            throws CropRejectedException {
        if (!jpeg) {
            return;
        }
        for (String w : warnings) {
            String lower = w.toLowerCase(Locale.ROOT);
            if (lower.contains("premature end") || lower.contains("truncated")) {
                throw new CropRejectedException(
                        DeadLetterReason.UNDECODABLE_IMAGE,
                        "damaged image: " + String.join("; ", warnings));
            }
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
     * A decoded image as Pillow's {@code convert("RGB")} makes it: a no-op for plain 8-bit RGB (int
     * RGB, or the 3-byte BGR that JPEG decodes to), {@link PillowRgb} otherwise.
     */
    static BufferedImage toRgb(BufferedImage image, AlphaPolicy alpha) {
        if (image.getType() == BufferedImage.TYPE_INT_RGB
                || image.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            return image;
        }
        return PillowRgb.convert(image.getRaster(), image.getColorModel(), false, alpha);
    }
}
