package org.bloomstream.inference.image;

/**
 * What the decoder needs from a JPEG's markers before choosing how to read it: the number of colour
 * components (from the start-of-frame) and the Adobe APP14 colour transform. Four components with
 * transform 2 is YCCK, otherwise four is CMYK; the readers' own classification hides the difference
 * behind a CMYK colour space.
 *
 * @param components components in the frame, 0 when no frame header was found
 * @param adobeTransform the APP14 transform byte, -1 without an Adobe marker
 * @param jfif whether an APP0 {@code JFIF} marker comes before the frame
 * @param sof the start-of-frame marker (0xC0 baseline, 0xC2 progressive, ...), 0 when none
 */
record JpegFrame(int components, int adobeTransform, boolean jfif, int sof) {

    static boolean isJpeg(byte[] b) {
        return b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8;
    }

    boolean fourComponents() {
        return components == 4;
    }

    boolean ycck() {
        return components == 4 && adobeTransform == 2;
    }

    /**
     * A plain JFIF image (YCbCr or grey, Huffman-coded baseline, extended or progressive, no Adobe
     * marker): the case the JDK's own reader decodes exactly as libjpeg, hence Pillow, does, with
     * no colour-space guess to make.
     */
    boolean plainJfif() {
        return jfif
                && adobeTransform == -1
                && (components == 1 || components == 3)
                && (sof == 0xC0 || sof == 0xC1 || sof == 0xC2);
    }

    /** Walks the marker segments up to the first start-of-scan. */
    static JpegFrame of(byte[] b) {
        int components = 0;
        int transform = -1;
        boolean jfif = false;
        int sofMarker = 0;
        int i = 2;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xFF) != 0xFF) {
                break;
            }
            int marker = b[i + 1] & 0xFF;
            if (marker == 0xFF) {
                i++;
                continue;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
                i += 2;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) {
                break;
            }
            int length = (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
            int payload = i + 4;
            boolean sof =
                    marker >= 0xC0
                            && marker <= 0xCF
                            && marker != 0xC4
                            && marker != 0xC8
                            && marker != 0xCC;
            if (sof && payload + 6 <= b.length) {
                components = b[payload + 5] & 0xFF;
                sofMarker = marker;
            } else if (marker == 0xE0 && length >= 7 && startsWith(b, payload, "JFIF\0")) {
                jfif = true;
            } else if (marker == 0xEE
                    && length >= 14
                    && payload + 12 <= b.length
                    && startsWith(b, payload, "Adobe")) {
                transform = b[payload + 11] & 0xFF;
            }
            i += 2 + length;
        }
        return new JpegFrame(components, transform, jfif, sofMarker);
    }

    /** Whether the ASCII {@code signature} is at {@code at} (and fits in {@code b}). */
    private static boolean startsWith(byte[] b, int at, String signature) {
        if (at + signature.length() > b.length) {
            return false;
        }
        for (int k = 0; k < signature.length(); k++) {
            if (b[at + k] != signature.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The bytes without their APP2 {@code ICC_PROFILE} segments (the same array when there are
     * none). Only segments before the first start-of-scan are looked at; the image data is copied
     * unchanged.
     */
    static byte[] withoutIccProfile(byte[] b) {
        java.io.ByteArrayOutputStream out = null;
        int copied = 0;
        int i = 2;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xFF) != 0xFF) {
                break;
            }
            int marker = b[i + 1] & 0xFF;
            if (marker == 0xFF) {
                i++;
                continue;
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
                i += 2;
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) {
                break;
            }
            int length = (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
            int end = i + 2 + length;
            if (marker == 0xE2 && startsWith(b, i + 4, "ICC_PROFILE\0") && end <= b.length) {
                if (out == null) {
                    out = new java.io.ByteArrayOutputStream(b.length);
                }
                out.write(b, copied, i - copied);
                copied = end;
            }
            i = end;
        }
        if (out == null) {
            return b;
        }
        out.write(b, copied, b.length - copied);
        return out.toByteArray();
    }
}
