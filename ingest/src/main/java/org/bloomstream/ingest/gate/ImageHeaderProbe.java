package org.bloomstream.ingest.gate;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.bloomstream.schemas.avro.ImageEncoding;

/**
 * Reads an image's format and dimensions from its header without decoding pixels: cheap enough for
 * the gate, and safe against files that claim enormous dimensions. Pixel-level damage (a truncated
 * JPEG body) is caught later by the job's full decode.
 */
final class ImageHeaderProbe {
    static {
        ImageIO.scanForPlugins();
        ImageIO.setUseCache(false);
    }

    record Header(ImageEncoding encoding, int width, int height) {}

    private ImageHeaderProbe() {}

    /** Returns the header, or null when no reader recognises the bytes. */
    static Header probe(byte[] bytes) throws IOException {
        try (ImageInputStream in =
                ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return null;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new Header(
                        encodingOf(reader.getFormatName()),
                        reader.getWidth(0),
                        reader.getHeight(0));
            } finally {
                reader.dispose();
            }
        }
    }

    static ImageEncoding encodingOf(String formatName) {
        String f = formatName.toLowerCase(Locale.ROOT);
        if (f.contains("jpeg") || f.contains("jpg")) {
            return ImageEncoding.JPEG;
        }
        if (f.contains("png")) {
            return ImageEncoding.PNG;
        }
        if (f.contains("bmp")) {
            return ImageEncoding.BMP;
        }
        if (f.contains("tif")) {
            return ImageEncoding.TIFF;
        }
        return ImageEncoding.UNKNOWN;
    }
}
