package org.bloomstream.devkit.fuzz;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificDatumWriter;
import org.bloomstream.schemas.AvroSerde;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.CropGeometry;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;

/**
 * A seeded generator of hostile {@code cells.raw} records: valid crops, mutated crops (bit flips,
 * byte runs, truncation, header damage, huge declared dimensions, decompression bombs, splices,
 * wrong formats, empty) inside valid records, and mutated or random records (random bytes,
 * truncated and bit-flipped Avro, huge length prefixes, other schemas, garbage field values,
 * missing ids, odd keys, resends, tombstones).
 *
 * <p>The same seed and seed crops always give the same sequence. Every id it writes contains a
 * specimen id matching {@link #specimenIdPattern(long)}, so a test can look for any of them in the
 * logs with one pattern.
 */
public final class CropFuzzer {
    /** What was done to a case; the weights say how often each is drawn. */
    public enum Kind {
        VALID(14),
        IMAGE_BIT_FLIPS(10),
        IMAGE_BYTE_RUN(5),
        IMAGE_TRUNCATED(8),
        IMAGE_HEADER_DAMAGE(8),
        HUGE_DIMENSIONS(5),
        DECOMPRESSION_BOMB(2),
        BOMB_AT_THE_LIMIT(1),
        TINY_IMAGE(2),
        SPLICED_IMAGES(3),
        WRONG_FORMAT(5),
        RANDOM_IMAGE_BYTES(4),
        EMPTY_IMAGE(2),
        RANDOM_VALUE(4),
        TRUNCATED_RECORD(4),
        RECORD_BIT_FLIPS(6),
        HUGE_LENGTH_PREFIX(3),
        WRONG_SCHEMA(4),
        GARBAGE_FIELDS(8),
        MISSING_ID(3),
        ODD_KEY(3),
        RESEND(3),
        TOMBSTONE(1);

        final int weight;

        Kind(int weight) {
            this.weight = weight;
        }
    }

    /**
     * One record for {@code cells.raw}.
     *
     * @param index position in the run, from 0
     * @param kind what was done to it
     * @param seedName the seed crop it came from (format and source only), or null
     * @param key the record key (may be null)
     * @param value the record value (may be null: a tombstone)
     * @param cellId the cell id written into the record when it is a parseable crop, else null
     */
    public record Case(
            int index, Kind kind, String seedName, byte[] key, byte[] value, String cellId) {}

    private static final Instant BASE_TIME = Instant.parse("2026-03-01T08:00:00Z");
    private static final int SPECIMENS = 40;

    private final long seed;
    private final List<FuzzSeeds.Seed> seeds;
    private final SplittableRandom random;
    private final AvroSerde<CellCrop> serde = new AvroSerde<>(CellCrop.class);
    private final AvroSerde<ScanEvent> scanSerde = new AvroSerde<>(ScanEvent.class);
    private final List<Case> resendable = new ArrayList<>();
    private int next;
    private byte[] bomb;
    private byte[] bombAtLimit;

    public CropFuzzer(long seed, List<FuzzSeeds.Seed> seeds) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("the fuzzer needs at least one seed crop");
        }
        this.seed = seed;
        this.seeds = List.copyOf(seeds);
        this.random = new SplittableRandom(seed ^ 0x5DEECE66DL);
    }

    /** Every specimen id of a run with this seed matches it. */
    public static Pattern specimenIdPattern(long seed) {
        return Pattern.compile(Pattern.quote("FZ" + seed + "-P") + "\\d{4}");
    }

    public long seed() {
        return seed;
    }

    /** The next {@code count} cases. */
    public List<Case> next(int count) {
        List<Case> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(next());
        }
        return out;
    }

    public Case next() {
        int index = next++;
        Kind kind = drawKind();
        String specimen = String.format("FZ%d-P%04d", seed, random.nextInt(SPECIMENS));
        String cellId = specimen + "-c" + index;
        FuzzSeeds.Seed s = seeds.get(random.nextInt(seeds.size()));
        byte[] image = s.bytes();
        byte[] key = specimen.getBytes(StandardCharsets.UTF_8);
        CellCrop crop = crop(cellId, specimen, index, image);
        Case c =
                switch (kind) {
                    case VALID -> ok(index, kind, s, key, crop);
                    case IMAGE_BIT_FLIPS ->
                            ok(index, kind, s, key, withImage(crop, bitFlips(image)));
                    case IMAGE_BYTE_RUN -> ok(index, kind, s, key, withImage(crop, byteRun(image)));
                    case IMAGE_TRUNCATED ->
                            ok(
                                    index,
                                    kind,
                                    s,
                                    key,
                                    withImage(
                                            crop,
                                            Arrays.copyOf(image, random.nextInt(image.length))));
                    case IMAGE_HEADER_DAMAGE ->
                            ok(index, kind, s, key, withImage(crop, headerDamage(image)));
                    case HUGE_DIMENSIONS ->
                            ok(index, kind, s, key, withImage(crop, hugeDims(image)));
                    case DECOMPRESSION_BOMB -> ok(index, kind, null, key, withImage(crop, bomb()));
                    case BOMB_AT_THE_LIMIT ->
                            ok(index, kind, null, key, withImage(crop, bombAtLimit()));
                    case TINY_IMAGE -> ok(index, kind, null, key, withImage(crop, tinyImage()));
                    case SPLICED_IMAGES -> ok(index, kind, s, key, withImage(crop, splice(image)));
                    case WRONG_FORMAT -> ok(index, kind, null, key, withImage(crop, wrongFormat()));
                    case RANDOM_IMAGE_BYTES ->
                            ok(
                                    index,
                                    kind,
                                    null,
                                    key,
                                    withImage(crop, randomBytes(1 + random.nextInt(4096))));
                    case EMPTY_IMAGE -> ok(index, kind, null, key, withImage(crop, new byte[0]));
                    case RANDOM_VALUE -> raw(index, kind, key, randomValue());
                    case TRUNCATED_RECORD -> {
                        byte[] v = serde.encode(crop);
                        yield raw(index, kind, key, Arrays.copyOf(v, random.nextInt(v.length)));
                    }
                    case RECORD_BIT_FLIPS ->
                            raw(index, kind, key, recordBitFlips(serde.encode(crop)));
                    case HUGE_LENGTH_PREFIX -> raw(index, kind, key, hugeLengthPrefix(crop));
                    case WRONG_SCHEMA -> raw(index, kind, key, wrongSchema(crop, specimen));
                    case GARBAGE_FIELDS -> ok(index, kind, s, key, garbageFields(crop));
                    case MISSING_ID -> ok(index, kind, s, key, missingId(crop));
                    case ODD_KEY -> ok(index, kind, s, oddKey(specimen), crop);
                    case RESEND -> resend(index, kind, s, key, crop);
                    case TOMBSTONE -> raw(index, kind, key, null);
                };
        if (c.cellId() != null && c.kind() != Kind.RESEND && random.nextInt(4) == 0) {
            resendable.add(c);
        }
        return c;
    }

    private Kind drawKind() {
        int total = 0;
        for (Kind k : Kind.values()) {
            total += k.weight;
        }
        int pick = random.nextInt(total);
        for (Kind k : Kind.values()) {
            pick -= k.weight;
            if (pick < 0) {
                return k;
            }
        }
        throw new AssertionError();
    }

    private CellCrop crop(String cellId, String specimen, int index, byte[] image) {
        return CellCrop.newBuilder()
                .setCellId(cellId)
                .setSpecimenId(specimen)
                .setScanId(specimen + "-scan1")
                .setScannerId("fuzz-scanner")
                .setCaptureTime(BASE_TIME.plusMillis(index * 10L))
                .setImage(ByteBuffer.wrap(image))
                .setEncoding(ImageEncoding.UNKNOWN)
                .setWidth(0)
                .setHeight(0)
                .setMicronsPerPixel(0.1)
                .build();
    }

    private static CellCrop withImage(CellCrop crop, byte[] image) {
        crop.setImage(ByteBuffer.wrap(image));
        return crop;
    }

    private Case ok(int index, Kind kind, FuzzSeeds.Seed s, byte[] key, CellCrop crop) {
        return new Case(
                index,
                kind,
                s == null ? null : s.name(),
                key,
                serde.encode(crop),
                crop.getCellId());
    }

    private static Case raw(int index, Kind kind, byte[] key, byte[] value) {
        return new Case(index, kind, null, key, value, null);
    }

    private Case resend(int index, Kind kind, FuzzSeeds.Seed s, byte[] key, CellCrop crop) {
        if (resendable.isEmpty()) {
            return ok(index, Kind.VALID, s, key, crop);
        }
        Case earlier = resendable.get(random.nextInt(resendable.size()));
        if (random.nextBoolean()) {
            // a scanner resending the same record after a timeout
            return new Case(
                    index,
                    kind,
                    earlier.seedName(),
                    earlier.key(),
                    earlier.value(),
                    earlier.cellId());
        }
        // another cell under an id already used: different bytes, same cell id and key
        CellCrop other = serde.decode(earlier.value());
        other.setImage(crop.getImage());
        return new Case(
                index, kind, s.name(), earlier.key(), serde.encode(other), other.getCellId());
    }

    // ------------------------------------------------------------------ image mutations

    private byte[] bitFlips(byte[] image) {
        byte[] b = image.clone();
        int flips = 1 + random.nextInt(1 + b.length / 256);
        for (int i = 0; i < flips; i++) {
            int at = random.nextInt(b.length);
            b[at] ^= (byte) (1 << random.nextInt(8));
        }
        return b;
    }

    private byte[] byteRun(byte[] image) {
        byte[] b = image.clone();
        int at = random.nextInt(b.length);
        int len = Math.min(b.length - at, 1 + random.nextInt(64));
        int mode = random.nextInt(3);
        for (int i = at; i < at + len; i++) {
            b[i] = mode == 0 ? 0 : mode == 1 ? (byte) 0xFF : (byte) random.nextInt(256);
        }
        return b;
    }

    private byte[] headerDamage(byte[] image) {
        byte[] b = image.clone();
        int span = Math.min(b.length, 64);
        int n = 1 + random.nextInt(8);
        for (int i = 0; i < n; i++) {
            b[random.nextInt(span)] = (byte) random.nextInt(256);
        }
        return b;
    }

    private int hugeEdge() {
        int[] edges = {0, 1, 65535, 50_000, 100_000, Integer.MAX_VALUE, -1, Integer.MIN_VALUE};
        return random.nextBoolean() ? edges[random.nextInt(edges.length)] : random.nextInt();
    }

    /** The image with its header claiming huge (or zero, or negative) dimensions, CRCs fixed. */
    private byte[] hugeDims(byte[] image) {
        int w = hugeEdge();
        int h = random.nextBoolean() ? hugeEdge() : 128;
        byte[] b = image.clone();
        if (b.length > 33 && (b[0] & 0xFF) == 0x89 && b[1] == 'P') {
            ByteBuffer.wrap(b, 16, 8).putInt(w).putInt(h);
            CRC32 crc = new CRC32();
            crc.update(b, 12, 17);
            ByteBuffer.wrap(b, 29, 4).putInt((int) crc.getValue());
            return b;
        }
        if (b.length > 4 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8) {
            int i = 2;
            while (i + 9 < b.length && (b[i] & 0xFF) == 0xFF) {
                int marker = b[i + 1] & 0xFF;
                int length = (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
                if (marker >= 0xC0 && marker <= 0xC3) {
                    b[i + 5] = (byte) (h >> 8);
                    b[i + 6] = (byte) h;
                    b[i + 7] = (byte) (w >> 8);
                    b[i + 8] = (byte) w;
                    return b;
                }
                i += 2 + length;
            }
            return b;
        }
        if (b.length > 26 && b[0] == 'B' && b[1] == 'M') {
            ByteBuffer.wrap(b, 18, 8).order(ByteOrder.LITTLE_ENDIAN).putInt(w).putInt(h);
            return b;
        }
        if (b.length > 10 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F') {
            ByteBuffer.wrap(b, 6, 4)
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .putShort((short) w)
                    .putShort((short) h);
            return b;
        }
        return pngClaiming(w, h, false);
    }

    /** A PNG whose header claims 20000 x 20000 gray pixels, with a small all-zero IDAT. */
    private byte[] bomb() {
        if (bomb == null) {
            bomb = pngClaiming(20_000, 20_000, false);
        }
        return bomb;
    }

    /**
     * A real decompression bomb just under the gate's default pixel limit: a 4096 x 4096 gray PNG
     * whose IDAT inflates to 16 MB of zeros from about 16 KB.
     */
    private byte[] bombAtLimit() {
        if (bombAtLimit == null) {
            bombAtLimit = pngClaiming(4096, 4096, true);
        }
        return bombAtLimit;
    }

    static byte[] pngClaiming(int width, int height, boolean fullData) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            ByteBuffer ihdr = ByteBuffer.allocate(13);
            ihdr.putInt(width).putInt(height);
            ihdr.put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
            out.write(chunk("IHDR", ihdr.array()));
            ByteArrayOutputStream zipped = new ByteArrayOutputStream();
            try (DeflaterOutputStream z =
                    new DeflaterOutputStream(zipped, new Deflater(Deflater.BEST_COMPRESSION))) {
                if (fullData) {
                    byte[] row = new byte[width + 1]; // filter byte + pixels, all zero
                    for (int y = 0; y < height; y++) {
                        z.write(row);
                    }
                } else {
                    z.write(new byte[] {0, 0, 0, 0});
                }
            }
            out.write(chunk("IDAT", zipped.toByteArray()));
            out.write(chunk("IEND", new byte[0]));
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] chunk(String type, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(12 + data.length);
        b.putInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        b.put(t).put(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        b.putInt((int) crc.getValue());
        return b.array();
    }

    private byte[] tinyImage() {
        int w = 1 + random.nextInt(7);
        int h = 1 + random.nextInt(7);
        java.awt.image.BufferedImage img =
                new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_INT_RGB);
        return FuzzSeeds.encode(img, random.nextBoolean() ? "png" : "jpeg");
    }

    private byte[] splice(byte[] image) {
        byte[] other = seeds.get(random.nextInt(seeds.size())).bytes();
        int a = random.nextInt(image.length);
        int b = random.nextInt(other.length);
        byte[] out = Arrays.copyOf(image, a + (other.length - b));
        System.arraycopy(other, b, out, a, other.length - b);
        return out;
    }

    private byte[] wrongFormat() {
        byte[][] heads = {
            "%PDF-1.4\n%\u00e2\u00e3\n1 0 obj".getBytes(StandardCharsets.ISO_8859_1),
            {'P', 'K', 3, 4, 20, 0, 0, 0},
            {0x7F, 'E', 'L', 'F', 2, 1, 1, 0},
            {0x1F, (byte) 0x8B, 8, 0},
            {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
            {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF},
            "GIF89a".getBytes(StandardCharsets.US_ASCII),
            {'I', 'I', 42, 0, 8, 0, 0, 0},
            {'M', 'M', 0, 42, 0, 0, 0, 8},
            {'B', 'M'},
            "RIFF\0\0\0\0WEBPVP8 ".getBytes(StandardCharsets.US_ASCII),
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>".getBytes(StandardCharsets.US_ASCII),
            "{\"image\":\"not really\"}".getBytes(StandardCharsets.US_ASCII),
            {0, 0, 0, 12, 'j', 'P', ' ', ' '},
        };
        byte[] head = heads[random.nextInt(heads.length)];
        byte[] tail = randomBytes(random.nextInt(512));
        byte[] out = Arrays.copyOf(head, head.length + tail.length);
        System.arraycopy(tail, 0, out, head.length, tail.length);
        return out;
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) random.nextInt(256);
        }
        return b;
    }

    // ------------------------------------------------------------------ record mutations

    private byte[] randomValue() {
        byte[] b = randomBytes(random.nextInt(600));
        if (b.length >= 10 && random.nextBoolean()) {
            // the single-object marker, so the decoder gets as far as the fingerprint
            b[0] = (byte) 0xC3;
            b[1] = 0x01;
            if (random.nextBoolean()) {
                byte[] fp = serde.encode(crop("x", "y", 0, new byte[] {1}));
                System.arraycopy(fp, 0, b, 0, 10);
            }
        }
        return b;
    }

    /** Bit flips mostly after the 10-byte header, so Avro decodes garbage rather than refusing. */
    private byte[] recordBitFlips(byte[] v) {
        byte[] b = v.clone();
        int flips = 1 + random.nextInt(8);
        for (int i = 0; i < flips; i++) {
            int from = random.nextInt(5) == 0 ? 0 : Math.min(10, b.length - 1);
            int at = from + random.nextInt(Math.max(1, Math.min(b.length - from, 200)));
            b[at] ^= (byte) (1 << random.nextInt(8));
        }
        return b;
    }

    /**
     * A valid header followed by a string or bytes length of up to 2 GB: a decoder that trusts the
     * length allocates it before it finds the record is short.
     */
    private byte[] hugeLengthPrefix(CellCrop crop) {
        byte[] header = Arrays.copyOf(serde.encode(crop), 10);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header, 0, header.length);
        long[] lengths = {
            Integer.MAX_VALUE - 8, Integer.MAX_VALUE, 1L << 30, 1L << 40, -5, 600_000_000
        };
        long length = lengths[random.nextInt(lengths.length)];
        int field = random.nextInt(3);
        try {
            BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
            if (field == 0) {
                enc.writeLong(length); // cellId's length
            } else {
                enc.writeString(crop.getCellId());
                enc.writeString(crop.getSpecimenId());
                enc.writeString(crop.getScanId());
                enc.writeString(crop.getScannerId());
                enc.writeLong(crop.getCaptureTime().toEpochMilli());
                enc.writeLong(length); // the image's length
            }
            enc.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] tail = randomBytes(random.nextInt(64));
        out.write(tail, 0, tail.length);
        return out.toByteArray();
    }

    private byte[] wrongSchema(CellCrop crop, String specimen) {
        switch (random.nextInt(5)) {
            case 0:
                return scanSerde.encode(
                        new ScanEvent(
                                specimen + "-scan1",
                                specimen,
                                "fuzz-scanner",
                                ScanEventType.STARTED,
                                BASE_TIME,
                                null));
            case 1:
                return unknownVersion(crop);
            case 2:
                return ("{\"cellId\":\""
                                + crop.getCellId()
                                + "\",\"specimenId\":\""
                                + specimen
                                + "\"}")
                        .getBytes(StandardCharsets.UTF_8);
            case 3:
                return plainAvroBinary(crop); // no single-object header
            default:
                byte[] v = serde.encode(crop);
                v[2 + random.nextInt(8)] ^= (byte) (1 + random.nextInt(255)); // fingerprint
                return v;
        }
    }

    private byte[] unknownVersion(CellCrop crop) {
        Schema schema =
                new Schema.Parser()
                        .parse(
                                CellCrop.getClassSchema()
                                        .toString()
                                        .replaceFirst(
                                                Pattern.quote("\"fields\":["),
                                                "\"fields\":[{\"name\":\"fuzzExtra\",\"type\":\"string\"},"));
        GenericRecord g = new GenericData.Record(schema);
        g.put("fuzzExtra", "v2");
        g.put("cellId", crop.getCellId());
        g.put("specimenId", crop.getSpecimenId());
        g.put("scanId", crop.getScanId());
        g.put("scannerId", crop.getScannerId());
        g.put("captureTime", crop.getCaptureTime().toEpochMilli());
        g.put("image", crop.getImage());
        g.put(
                "encoding",
                new GenericData.EnumSymbol(schema.getField("encoding").schema(), "UNKNOWN"));
        g.put("width", 0);
        g.put("height", 0);
        try {
            ByteBuffer b =
                    new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(g);
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] plainAvroBinary(CellCrop crop) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
            new SpecificDatumWriter<>(CellCrop.class).write(crop, enc);
            enc.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String garbleId(String id) {
        String[] wraps = {
            "  " + id + "\t",
            id + "\n",
            id + "\u0000",
            "\u202e" + id,
            id + "\ud83e\udda0",
            id + " ",
        };
        return random.nextInt(3) == 0
                ? id + "-" + "x".repeat(random.nextInt(4000))
                : wraps[random.nextInt(wraps.length)];
    }

    private CellCrop garbageFields(CellCrop crop) {
        int n = 1 + random.nextInt(4);
        for (int i = 0; i < n; i++) {
            switch (random.nextInt(10)) {
                case 0 -> crop.setCellId(garbleId(crop.getCellId()));
                case 1 -> crop.setSpecimenId(garbleId(crop.getSpecimenId()));
                case 2 -> crop.setScanId(garbleId(crop.getScanId()));
                case 3 ->
                        crop.setScannerId(
                                random.nextBoolean() ? "" : "\u0000\u0001scanner\r\n".repeat(50));
                case 4 -> {
                    crop.setWidth(hugeEdge());
                    crop.setHeight(hugeEdge());
                }
                case 5 ->
                        crop.setCaptureTime(
                                Instant.ofEpochMilli(
                                        new long[] {
                                                    Long.MIN_VALUE,
                                                    Long.MAX_VALUE,
                                                    -1,
                                                    0,
                                                    random.nextLong()
                                                }
                                                [random.nextInt(5)]));
                case 6 ->
                        crop.setMicronsPerPixel(
                                new double[] {
                                            Double.NaN,
                                            Double.POSITIVE_INFINITY,
                                            Double.NEGATIVE_INFINITY,
                                            -0.1,
                                            0,
                                            Double.MIN_VALUE,
                                            1e300
                                        }
                                        [random.nextInt(7)]);
                case 7 ->
                        crop.setReferenceLabel(
                                new String[] {
                                            "",
                                            "  ",
                                            "\u0000",
                                            "neutrophil\n",
                                            "NOT-A-TYPE",
                                            "z".repeat(3000)
                                        }
                                        [random.nextInt(6)]);
                case 8 ->
                        crop.setGeometry(
                                new CropGeometry(
                                        random.nextBoolean() ? null : "\u0000fov",
                                        random.nextInt(),
                                        random.nextInt(),
                                        hugeEdge(),
                                        hugeEdge()));
                default ->
                        crop.setEncoding(
                                ImageEncoding.values()[
                                        random.nextInt(ImageEncoding.values().length)]);
            }
        }
        return crop;
    }

    private CellCrop missingId(CellCrop crop) {
        String blank = new String[] {"", " ", "\t\n", "\u3000"}[random.nextInt(4)];
        switch (random.nextInt(3)) {
            case 0 -> crop.setCellId(blank);
            case 1 -> crop.setSpecimenId(blank);
            default -> crop.setScanId(blank);
        }
        return crop;
    }

    private byte[] oddKey(String specimen) {
        return switch (random.nextInt(5)) {
            case 0 -> null;
            case 1 -> randomBytes(random.nextInt(64)); // often not UTF-8
            case 2 -> new byte[0];
            case 3 -> (specimen + "-other").getBytes(StandardCharsets.UTF_8);
            default -> ("  " + specimen + "\n").getBytes(StandardCharsets.UTF_8);
        };
    }
}
