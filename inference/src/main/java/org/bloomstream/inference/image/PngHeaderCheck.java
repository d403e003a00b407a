package org.bloomstream.inference.image;

import java.util.zip.CRC32;

/**
 * The one structural check the decoder adds to ImageIO's: the CRCs of a PNG's chunks before its
 * image data. Pillow verifies them and refuses a file whose header chunk is corrupt ("broken PNG
 * file"); the JDK's PNG reader ignores them and decodes whatever the corrupt header now says. The
 * image data's CRCs are not checked, by Pillow or here: a flipped bit in the pixels is damage that
 * neither can see, and the inflater catches most of it.
 */
final class PngHeaderCheck {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private PngHeaderCheck() {}

    /** Why a PNG's header chunks are damaged, or null (also for anything that is not a PNG). */
    static String damage(byte[] b) {
        if (b.length < SIGNATURE.length) {
            return null;
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (b[i] != SIGNATURE[i]) {
                return null;
            }
        }
        int i = SIGNATURE.length;
        // Chunk: length, type, data, CRC over type and data. Stops at the first IDAT; a file cut
        // short before it is left to the reader, which fails on it.
        while (i + 12 <= b.length) {
            long length = int32(b, i) & 0xFFFFFFFFL;
            if (i + 12L + length > b.length) {
                return null;
            }
            String type = new String(b, i + 4, 4, java.nio.charset.StandardCharsets.US_ASCII);
            if (type.equals("IDAT")) {
                return null;
            }
            CRC32 crc = new CRC32();
            crc.update(b, i + 4, 4 + (int) length);
            int stored = int32(b, i + 8 + (int) length);
            if ((int) crc.getValue() != stored) {
                return "damaged PNG: chunk " + type + " at byte " + i + " fails its CRC";
            }
            i += 12 + (int) length;
        }
        return null;
    }

    private static int int32(byte[] b, int i) {
        return (b[i] & 0xFF) << 24
                | (b[i + 1] & 0xFF) << 16
                | (b[i + 2] & 0xFF) << 8
                | (b[i + 3] & 0xFF);
    }
}
