package org.bloomstream.job;

import java.io.IOException;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.bloomstream.schemas.SourceRecord;

/**
 * Flink's type information for the {@link SourceRecord}s the job's Kafka sources produce, with a
 * serializer whose {@code copy} returns the record itself.
 *
 * <p>With object reuse off (the job's default), Flink copies every record handed to a chained
 * operator. For a source record that is a deep copy of the crop's bytes (22 KB for a typical JPEG)
 * on the decode thread, 0.8% of its CPU in the plumbing benchmark (BENCHMARKS.md, "Sixth pass"). A
 * source record is never changed once read: {@link SourceRecordDeserializer} makes a new one per
 * Kafka record, and the operators that read it ({@code CropDecodeFunction}, {@code
 * ScanEventSignals}, {@code DeadLetterSignals}) only read it. Whoever changes that must change
 * this.
 *
 * <p>Source records are chained to their first operator and never kept in state; if one is ever
 * sent over the network it is written field by field. The format has no compatibility to keep.
 */
public final class SourceRecordTypeInfo extends TypeInformation<SourceRecord> {
    private static final long serialVersionUID = 1L;

    public static final SourceRecordTypeInfo INSTANCE = new SourceRecordTypeInfo();

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<SourceRecord> getTypeClass() {
        return SourceRecord.class;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<SourceRecord> createSerializer(SerializerConfig config) {
        return Serializer.INSTANCE;
    }

    @Override
    public String toString() {
        return "SourceRecord";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SourceRecordTypeInfo;
    }

    @Override
    public int hashCode() {
        return SourceRecordTypeInfo.class.hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof SourceRecordTypeInfo;
    }

    /** Copies by reference (see the class comment); writes the fields in declaration order. */
    public static final class Serializer extends TypeSerializerSingleton<SourceRecord> {
        private static final long serialVersionUID = 1L;

        public static final Serializer INSTANCE = new Serializer();

        @Override
        public boolean isImmutableType() {
            return false; // by contract rather than by type: see the class comment
        }

        @Override
        public SourceRecord createInstance() {
            return new SourceRecord();
        }

        @Override
        public SourceRecord copy(SourceRecord from) {
            return from;
        }

        @Override
        public SourceRecord copy(SourceRecord from, SourceRecord reuse) {
            return from;
        }

        @Override
        public int getLength() {
            return -1;
        }

        @Override
        public void serialize(SourceRecord r, DataOutputView out) throws IOException {
            out.writeBoolean(r.topic != null);
            if (r.topic != null) {
                out.writeUTF(r.topic);
            }
            out.writeInt(r.partition);
            out.writeLong(r.offset);
            out.writeLong(r.timestamp);
            writeBytes(r.key, out);
            writeBytes(r.value, out);
        }

        @Override
        public SourceRecord deserialize(DataInputView in) throws IOException {
            SourceRecord r = new SourceRecord();
            r.topic = in.readBoolean() ? in.readUTF() : null;
            r.partition = in.readInt();
            r.offset = in.readLong();
            r.timestamp = in.readLong();
            r.key = readBytes(in);
            r.value = readBytes(in);
            return r;
        }

        @Override
        public SourceRecord deserialize(SourceRecord reuse, DataInputView in) throws IOException {
            return deserialize(in);
        }

        @Override
        public void copy(DataInputView in, DataOutputView out) throws IOException {
            serialize(deserialize(in), out);
        }

        @Override
        public TypeSerializerSnapshot<SourceRecord> snapshotConfiguration() {
            return new Snapshot();
        }

        private static void writeBytes(byte[] b, DataOutputView out) throws IOException {
            out.writeInt(b == null ? -1 : b.length);
            if (b != null) {
                out.write(b);
            }
        }

        private static byte[] readBytes(DataInputView in) throws IOException {
            int n = in.readInt();
            if (n < 0) {
                return null;
            }
            byte[] b = new byte[n];
            in.readFully(b);
            return b;
        }

        /** Flink's snapshot of this stateless serializer. */
        public static final class Snapshot extends SimpleTypeSerializerSnapshot<SourceRecord> {
            public Snapshot() {
                super(() -> INSTANCE);
            }
        }
    }
}
