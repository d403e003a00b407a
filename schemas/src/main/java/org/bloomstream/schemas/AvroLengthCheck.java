package org.bloomstream.schemas;

import java.util.List;
import org.apache.avro.Schema;

/**
 * Walks Avro binary data against its writer schema without decoding it, and rejects it if any
 * length or count it declares runs past the end of the data.
 *
 * <p>Why: Avro's decoders allocate a string or bytes field at the length its prefix declares before
 * they read it. One corrupt or hostile record on a topic whose prefix says 2 GB is then an {@link
 * OutOfMemoryError}, not a {@code SerializationException}: it took down the ingest gate's stream
 * thread (and with it the test JVM) when the fuzzer first fed it such a record. A record is one
 * Kafka value, so no field in it can be longer than the value itself; checking that first costs a
 * linear pass that allocates nothing.
 */
final class AvroLengthCheck {
    private final byte[] data;
    private int pos;

    private AvroLengthCheck(byte[] data, int offset) {
        this.data = data;
        this.pos = offset;
    }

    /**
     * Checks {@code data[offset..]} against {@code schema}.
     *
     * @return null if every declared length fits, else why not
     */
    static String check(Schema schema, byte[] data, int offset) {
        AvroLengthCheck c = new AvroLengthCheck(data, offset);
        try {
            c.walk(schema, 0);
            return null;
        } catch (Invalid e) {
            return e.getMessage();
        }
    }

    private static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    private int remaining() {
        return data.length - pos;
    }

    private void skip(long n, String what) throws Invalid {
        if (n < 0 || n > remaining()) {
            throw new Invalid(
                    what + " declares " + n + " bytes, " + remaining() + " left in the record");
        }
        pos += (int) n;
    }

    private long readLong() throws Invalid {
        long value = 0;
        int shift = 0;
        while (true) {
            if (pos >= data.length) {
                throw new Invalid("record ends inside a number");
            }
            int b = data[pos++] & 0xFF;
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return (value >>> 1) ^ -(value & 1);
            }
            shift += 7;
            if (shift > 63) {
                throw new Invalid("malformed variable-length number");
            }
        }
    }

    private void walk(Schema s, int depth) throws Invalid {
        if (depth > 64) {
            throw new Invalid("schema nested too deeply");
        }
        switch (s.getType()) {
            case NULL -> {}
            case BOOLEAN -> skip(1, "a boolean");
            case INT, LONG -> readLong();
            case FLOAT -> skip(4, "a float");
            case DOUBLE -> skip(8, "a double");
            case STRING, BYTES -> skip(readLong(), s.getType().getName());
            case FIXED -> skip(s.getFixedSize(), "a fixed");
            case ENUM -> {
                long i = readLong();
                if (i < 0 || i >= s.getEnumSymbols().size()) {
                    throw new Invalid("enum index " + i + " out of range");
                }
            }
            case UNION -> {
                List<Schema> branches = s.getTypes();
                long i = readLong();
                if (i < 0 || i >= branches.size()) {
                    throw new Invalid("union index " + i + " out of range");
                }
                walk(branches.get((int) i), depth + 1);
            }
            case RECORD -> {
                for (Schema.Field f : s.getFields()) {
                    walk(f.schema(), depth + 1);
                }
            }
            case ARRAY, MAP -> {
                Schema item =
                        s.getType() == Schema.Type.ARRAY ? s.getElementType() : s.getValueType();
                while (true) {
                    long count = readLong();
                    if (count == 0) {
                        break;
                    }
                    if (count < 0) {
                        count = -count;
                        readLong(); // the block's size in bytes, which we do not need
                    }
                    // every item takes at least one byte, bar a null or empty record: bounds the
                    // loop
                    if (count < 0 || count > remaining() + 1L) {
                        throw new Invalid("a block declares " + count + " items");
                    }
                    for (long n = 0; n < count; n++) {
                        if (s.getType() == Schema.Type.MAP) {
                            skip(readLong(), "a map key");
                        }
                        walk(item, depth + 1);
                    }
                }
            }
        }
    }
}
