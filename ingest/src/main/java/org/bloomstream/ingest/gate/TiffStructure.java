package org.bloomstream.ingest.gate;

/**
 * Whether a TIFF's first page has its pixel data in the file: the strips (or tiles) that the first
 * IFD points to must lie inside the bytes. For an uncompressed page the check is on the bytes the
 * pixels need, not on {@code StripByteCounts}: many writers (the JDK's among them) declare a short
 * count for a complete strip, and Pillow, libtiff and the job's decoder read those. For a
 * compressed page, the declared count is all there is to check.
 *
 * <p>Reads only the first IFD's offsets and counts; anything it does not understand is left to the
 * decoder (null), so the gate never refuses a file that the decoder would read.
 */
final class TiffStructure {
    private static final int WIDTH = 256;
    private static final int HEIGHT = 257;
    private static final int BITS = 258;
    private static final int COMPRESSION = 259;
    private static final int STRIP_OFFSETS = 273;
    private static final int SAMPLES = 277;
    private static final int ROWS_PER_STRIP = 278;
    private static final int STRIP_COUNTS = 279;
    private static final int PLANAR = 284;
    private static final int TILE_WIDTH = 322;
    private static final int TILE_LENGTH = 323;
    private static final int TILE_OFFSETS = 324;
    private static final int TILE_COUNTS = 325;

    private TiffStructure() {}

    /** Why the first page's pixel data is not in the file, or null. */
    static String truncation(byte[] b) {
        if (b.length < 8) {
            return null;
        }
        boolean little;
        if (b[0] == 'I' && b[1] == 'I') {
            little = true;
        } else if (b[0] == 'M' && b[1] == 'M') {
            little = false;
        } else {
            return null;
        }
        Reader r = new Reader(b, little);
        if (r.u16(2) != 42) {
            return null; // BigTIFF (43) and others: the decoder decides
        }
        long ifd = r.u32(4);
        if (ifd + 2 > b.length) {
            return null; // the header probe has already failed on this
        }
        int n = r.u16((int) ifd);
        long width = 0;
        long height = 0;
        long rowsPerStrip = Long.MAX_VALUE;
        long tileWidth = 0;
        long tileLength = 0;
        int compression = 1;
        int samples = 1;
        int planar = 1;
        int bits = 0;
        long[] offsets = null;
        long[] counts = null;
        for (int e = 0; e < n; e++) {
            int at = (int) ifd + 2 + 12 * e;
            if (at + 12 > b.length) {
                return "truncated TIFF: the first directory ends after " + b.length + " bytes";
            }
            int tag = r.u16(at);
            int type = r.u16(at + 2);
            long count = r.u32(at + 4);
            switch (tag) {
                case WIDTH -> width = r.scalar(at, type);
                case HEIGHT -> height = r.scalar(at, type);
                case BITS -> bits = (int) r.first(at, type, count);
                case COMPRESSION -> compression = (int) r.scalar(at, type);
                case SAMPLES -> samples = (int) r.scalar(at, type);
                case ROWS_PER_STRIP -> rowsPerStrip = r.scalar(at, type);
                case PLANAR -> planar = (int) r.scalar(at, type);
                case TILE_WIDTH -> tileWidth = r.scalar(at, type);
                case TILE_LENGTH -> tileLength = r.scalar(at, type);
                case STRIP_OFFSETS, TILE_OFFSETS -> offsets = r.array(at, type, count);
                case STRIP_COUNTS, TILE_COUNTS -> counts = r.array(at, type, count);
                default -> {}
            }
        }
        if (offsets == null || width <= 0 || height <= 0) {
            return null;
        }
        boolean tiled = tileWidth > 0 && tileLength > 0;
        // Bytes each strip or tile needs when uncompressed (chunky samples only; else unknown).
        long rowBytes = planar == 1 && bits > 0 ? (width * samples * bits + 7) / 8 : -1;
        long tileBytes =
                planar == 1 && bits > 0 ? (tileWidth * samples * bits + 7) / 8 * tileLength : -1;
        for (int i = 0; i < offsets.length; i++) {
            long need;
            if (compression == 1 && !tiled && rowBytes > 0) {
                long rows =
                        Math.min(rowsPerStrip, height - (long) i * Math.min(rowsPerStrip, height));
                need = Math.max(0, rows) * rowBytes;
            } else if (compression == 1 && tiled && tileBytes > 0) {
                need = tileBytes;
            } else {
                need = counts != null && i < counts.length ? counts[i] : 0;
            }
            if (offsets[i] + need > b.length) {
                return "truncated TIFF: "
                        + (tiled ? "tile " : "strip ")
                        + i
                        + " needs bytes "
                        + offsets[i]
                        + " to "
                        + (offsets[i] + need)
                        + ", the file has "
                        + b.length;
            }
        }
        return null;
    }

    /** Little- or big-endian reads, with TIFF's inline-or-offset rule for values. */
    private record Reader(byte[] b, boolean little) {
        int u16(int i) {
            if (i + 2 > b.length) {
                return 0;
            }
            return little
                    ? (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8
                    : (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
        }

        long u32(int i) {
            if (i + 4 > b.length) {
                return 0;
            }
            long v =
                    little
                            ? (b[i] & 0xFFL)
                                    | (b[i + 1] & 0xFFL) << 8
                                    | (b[i + 2] & 0xFFL) << 16
                                    | (b[i + 3] & 0xFFL) << 24
                            : (b[i] & 0xFFL) << 24
                                    | (b[i + 1] & 0xFFL) << 16
                                    | (b[i + 2] & 0xFFL) << 8
                                    | (b[i + 3] & 0xFFL);
            return v;
        }

        /** One SHORT or LONG value stored in the entry itself. */
        long scalar(int entry, int type) {
            return type == 3 ? u16(entry + 8) : u32(entry + 8);
        }

        /** The first of {@code count} values (inline or at an offset, by their total size). */
        long first(int entry, int type, long count) {
            return array(entry, type, count)[0];
        }

        long[] array(int entry, int type, long count) {
            int size = type == 3 ? 2 : 4;
            if (count <= 0 || count > b.length) {
                return new long[] {0};
            }
            long at = count * size <= 4 ? entry + 8 : u32(entry + 8);
            long[] out = new long[(int) count];
            for (int i = 0; i < count; i++) {
                long p = at + (long) i * size;
                if (p + size > b.length) {
                    return out; // an offset table beyond the file: the probe fails on it
                }
                out[i] = size == 2 ? u16((int) p) : u32((int) p);
            }
            return out;
        }
    }
}
