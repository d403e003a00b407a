package org.bloomstream.job;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.bloomstream.inference.types.ByReferenceSerializer;
import org.bloomstream.inference.types.ByReferenceTypeInfo;
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
public final class SourceRecordTypeInfo extends ByReferenceTypeInfo<SourceRecord> {
    private static final long serialVersionUID = 1L;

    public static final SourceRecordTypeInfo INSTANCE = new SourceRecordTypeInfo();

    private SourceRecordTypeInfo() {
        super(SourceRecord.class, Serializer.INSTANCE);
    }

    /** Copies by reference (see the class comment); writes the fields in declaration order. */
    public static final class Serializer extends ByReferenceSerializer<SourceRecord> {
        private static final long serialVersionUID = 1L;

        public static final Serializer INSTANCE = new Serializer();

        @Override
        public SourceRecord createInstance() {
            return new SourceRecord();
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
