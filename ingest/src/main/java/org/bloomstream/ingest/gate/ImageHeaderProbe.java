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
 * the gate, and safe against files that claim enormous dimensions.
 *
 * <p>Two structural checks complement the ImageIO header read, both linear scans that allocate
 * nothing: {@link #truncation} walks the segments of a JPEG and the chunks of a PNG (checking the
 * CRCs of the chunks before the image data, as Pillow and the job's decoder do), compares a BMP's
 * declared file size, and checks that a TIFF's first page has its strips or tiles inside the file,
 * to catch files that were cut short, the usual damage when a crop is read while the scanner is
 * still writing it; and a PNG or JPEG that declares a zero width or height is reported as such
 * (ImageIO refuses to read that header at all, which would hide the reason). Pixel-level damage
 * inside a structurally complete file is still caught only by the job's full decode.
 *
 * <p>The gate must never refuse what the decoder reads: a TIFF whose {@code StripByteCounts} is
 * smaller than its strips (Pillow and the decoder read those) passes here as long as the pixel
 * bytes themselves are in the file. GateCorpusTest holds both to the same crafted corpus.
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
        Header zero = declaredZeroSize(bytes);
        if (zero != null) {
            return zero;
        }
        Header frame = plainJpegFrame(bytes);
        return frame != null ? frame : imageIoHeader(bytes);
    }

    /** The header as ImageIO's first reader for the bytes reads it, or null when none does. */
    static Header imageIoHeader(byte[] bytes) throws IOException {
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

    // ------------------------------------------------------------------ structure

    private static final byte[] PNG_SIGNATURE = {
        (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
    };

    static boolean isPng(byte[] b) {
        if (b.length < PNG_SIGNATURE.length) {
            return false;
        }
        for (int i = 0; i < PNG_SIGNATURE.length; i++) {
            if (b[i] != PNG_SIGNATURE[i]) {
                return false;
            }
        }
        return true;
    }

    static boolean isJpeg(byte[] b) {
        return b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8;
    }

    /** A PNG or JPEG header that declares a zero edge, or null. */
    static Header declaredZeroSize(byte[] b) {
        if (isPng(b) && b.length >= 24 && b[12] == 'I' && b[13] == 'H' && b[14] == 'D') {
            int w = int32(b, 16);
            int h = int32(b, 20);
            if (w == 0 || h == 0) {
                return new Header(ImageEncoding.PNG, w, h);
            }
        } else if (isJpeg(b)) {
            int sof = jpegSof(b);
            if (sof > 0 && sof + 9 <= b.length) {
                int h = uint16(b, sof + 5);
                int w = uint16(b, sof + 7);
                // A zero height is legal JPEG only with a DNL marker, which no crop writer emits.
                if (w == 0 || h == 0) {
                    return new Header(ImageEncoding.JPEG, w, h);
                }
            }
        }
        return null;
    }

    /**
     * The dimensions of an ordinary 8-bit JPEG (baseline, extended or progressive Huffman; 1, 3 or
     * 4 components) read straight from its frame header, or null for anything else, which then goes
     * through ImageIO. These are the very fields a JPEG reader's {@code getWidth(0)} returns; the
     * reader would also parse every other segment (Huffman tables included) and build its metadata,
     * which was most of the gate's CPU per crop.
     */
    static Header plainJpegFrame(byte[] b) {
        if (!isJpeg(b)) {
            return null;
        }
        int sof = jpegSof(b);
        if (sof < 0 || sof + 10 > b.length) {
            return null;
        }
        int marker = b[sof + 1] & 0xFF;
        int length = uint16(b, sof + 2);
        int precision = b[sof + 4] & 0xFF;
        int height = uint16(b, sof + 5);
        int width = uint16(b, sof + 7);
        int components = b[sof + 9] & 0xFF;
        boolean ordinary =
                (marker == 0xC0 || marker == 0xC1 || marker == 0xC2)
                        && precision == 8
                        && (components == 1 || components == 3 || components == 4)
                        && length == 8 + 3 * components
                        && sof + 2 + length <= b.length
                        && width > 0
                        && height > 0;
        return ordinary ? new Header(ImageEncoding.JPEG, width, height) : null;
    }

    /**
     * Why the file is structurally incomplete, or null when it is complete or its format is not
     * checked here (GIF: Pillow reads a GIF cut short, and so does the decoder).
     */
    static String truncation(byte[] b, ImageEncoding encoding) {
        return switch (encoding) {
            case JPEG -> jpegTruncation(b);
            case PNG -> pngTruncation(b);
            case BMP -> bmpTruncation(b);
            case TIFF -> TiffStructure.truncation(b);
            default -> null;
        };
    }

    /** Offset of the first SOFn marker (its 0xFF byte), or -1. */
    private static int jpegSof(byte[] b) {
        int i = 2;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xFF) != 0xFF) {
                return -1;
            }
            int marker = b[i + 1] & 0xFF;
            if (marker == 0xFF) {
                i++; // fill byte
                continue;
            }
            if (isSof(marker)) {
                return i;
            }
            if (marker == 0xDA || marker == 0xD9) {
                return -1;
            }
            if (standalone(marker)) {
                i += 2;
                continue;
            }
            i += 2 + uint16(b, i + 2);
        }
        return -1;
    }

    private static boolean isSof(int m) {
        return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    }

    private static boolean standalone(int m) {
        return m == 0x01 || (m >= 0xD0 && m <= 0xD7) || m == 0xD8;
    }

    /**
     * Walks the marker segments; after each start-of-scan, skips the entropy-coded data (where 0xFF
     * is always followed by 0x00 or a restart marker) to the next marker. Complete means an EOI
     * after at least one scan. Bytes after the EOI are tolerated (some cameras append data).
     */
    private static String jpegTruncation(byte[] b) {
        int i = 2;
        boolean scanned = false;
        while (true) {
            if (i + 2 > b.length) {
                return "truncated JPEG: it ends after "
                        + b.length
                        + " bytes without an end-of-image marker";
            }
            if ((b[i] & 0xFF) != 0xFF) {
                return "damaged JPEG: no marker at byte " + i;
            }
            int marker = b[i + 1] & 0xFF;
            if (marker == 0xFF) {
                i++;
                continue;
            }
            if (marker == 0xD9) {
                return scanned ? null : "damaged JPEG: end-of-image before any image data";
            }
            if (standalone(marker)) {
                i += 2;
                continue;
            }
            if (i + 4 > b.length) {
                return "truncated JPEG: segment header cut at byte " + i;
            }
            int length = uint16(b, i + 2);
            if (length < 2) {
                return "damaged JPEG: segment length " + length + " at byte " + i;
            }
            int next = i + 2 + length;
            if (next > b.length) {
                return String.format(
                        Locale.ROOT,
                        "truncated JPEG: segment 0x%02X at byte %d needs %d bytes, only %d left",
                        marker,
                        i,
                        length + 2,
                        b.length - i);
            }
            i = next;
            if (marker == 0xDA) {
                scanned = true;
                // entropy-coded data up to the next real marker
                while (true) {
                    if (i + 1 >= b.length) {
                        return "truncated JPEG: image data ends after "
                                + b.length
                                + " bytes without an end-of-image marker";
                    }
                    if ((b[i] & 0xFF) == 0xFF) {
                        int m = b[i + 1] & 0xFF;
                        if (m != 0x00 && !(m >= 0xD0 && m <= 0xD7) && m != 0xFF) {
                            break;
                        }
                    }
                    i++;
                }
            }
        }
    }

    /**
     * Walks the chunks (length, type, data, CRC) to IEND, checking the CRCs before the first IDAT.
     * Bytes after IEND are tolerated.
     */
    private static String pngTruncation(byte[] b) {
        int i = PNG_SIGNATURE.length;
        boolean headerDone = false;
        while (true) {
            if (i + 8 > b.length) {
                return "truncated PNG: it ends after " + b.length + " bytes without an IEND chunk";
            }
            long length = int32(b, i) & 0xFFFFFFFFL;
            String type = new String(b, i + 4, 4, java.nio.charset.StandardCharsets.US_ASCII);
            long next = i + 12L + length;
            if (next > b.length) {
                return "truncated PNG: chunk "
                        + type
                        + " at byte "
                        + i
                        + " needs "
                        + (12 + length)
                        + " bytes, only "
                        + (b.length - i)
                        + " left";
            }
            if (type.equals("IEND")) {
                return null;
            }
            if (type.equals("IDAT")) {
                headerDone = true;
            } else if (!headerDone) {
                // Pillow refuses a file whose chunks before the image data fail their CRC.
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(b, i + 4, 4 + (int) length);
                if ((int) crc.getValue() != int32(b, i + 8 + (int) length)) {
                    return "damaged PNG: chunk " + type + " at byte " + i + " fails its CRC";
                }
            }
            i = (int) next;
        }
    }

    /** BMP headers declare the file size; 0 means "not given", which some writers use. */
    private static String bmpTruncation(byte[] b) {
        if (b.length < 6) {
            return "truncated BMP: " + b.length + " bytes";
        }
        long declared =
                (b[2] & 0xFFL) | (b[3] & 0xFFL) << 8 | (b[4] & 0xFFL) << 16 | (b[5] & 0xFFL) << 24;
        if (declared > b.length) {
            return "truncated BMP: the header declares " + declared + " bytes, got " + b.length;
        }
        return null;
    }

    private static int int32(byte[] b, int i) {
        return (b[i] & 0xFF) << 24
                | (b[i + 1] & 0xFF) << 16
                | (b[i + 2] & 0xFF) << 8
                | (b[i + 3] & 0xFF);
    }

    private static int uint16(byte[] b, int i) {
        return (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
    }
}
