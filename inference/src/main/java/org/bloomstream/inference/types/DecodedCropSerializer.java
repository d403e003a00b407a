package org.bloomstream.inference.types;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Flink's serializer for {@link DecodedCrop}, written for the one hand-over it serves: decode to
 * embed.
 *
 * <p>{@link #copy} returns the crop itself ({@link ByReferenceSerializer}). Flink copies every
 * record passed between chained operators when object reuse is off (the job's default, kept because
 * other operators rely on it); for a crop that is 150 KB of pixels, a new array per crop, which the
 * garbage collector then pays for again. A {@code DecodedCrop} is never changed once emitted:
 * {@code CropDecodeFunction} makes a new one per crop and keeps no reference, and {@code
 * MicroBatchEmbedder} only reads it. Whoever changes that must change this.
 *
 * <p>When the two operators are not chained (decode at another parallelism than embed), a crop is
 * written field by field and its pixels as one block: the same bytes on the wire as before, without
 * the POJO serializer's reflection. The crop is never kept in state (the embedder flushes before
 * every checkpoint), so the format has no compatibility to keep across versions; the snapshot is
 * there because Flink asks for one.
 */
public final class DecodedCropSerializer extends ByReferenceSerializer<DecodedCrop> {
    private static final long serialVersionUID = 1L;

    public static final DecodedCropSerializer INSTANCE = new DecodedCropSerializer();

    @Override
    public DecodedCrop createInstance() {
        return new DecodedCrop();
    }

    @Override
    public void serialize(DecodedCrop c, DataOutputView out) throws IOException {
        CellMeta m = c.meta;
        out.writeBoolean(m != null);
        if (m != null) {
            writeString(m.cellId, out);
            writeString(m.specimenId, out);
            writeString(m.scanId, out);
            writeString(m.scannerId, out);
            out.writeLong(m.captureTime);
            writeString(m.referenceLabel, out);
            writeString(m.alphaPolicy, out);
            out.writeLong(m.ingestTime);
            out.writeInt(m.decodeMicros);
            writeString(m.sourceTopic, out);
            out.writeInt(m.sourcePartition);
            out.writeLong(m.sourceOffset);
        }
        out.writeInt(c.size);
        out.writeInt(c.width);
        out.writeInt(c.height);
        if (c.rgb == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(c.rgb.length);
            out.write(c.rgb);
        }
    }

    @Override
    public DecodedCrop deserialize(DataInputView in) throws IOException {
        DecodedCrop c = new DecodedCrop();
        if (in.readBoolean()) {
            CellMeta m = new CellMeta();
            m.cellId = readString(in);
            m.specimenId = readString(in);
            m.scanId = readString(in);
            m.scannerId = readString(in);
            m.captureTime = in.readLong();
            m.referenceLabel = readString(in);
            m.alphaPolicy = readString(in);
            m.ingestTime = in.readLong();
            m.decodeMicros = in.readInt();
            m.sourceTopic = readString(in);
            m.sourcePartition = in.readInt();
            m.sourceOffset = in.readLong();
            c.meta = m;
        }
        c.size = in.readInt();
        c.width = in.readInt();
        c.height = in.readInt();
        int n = in.readInt();
        if (n >= 0) {
            c.rgb = new byte[n];
            in.readFully(c.rgb);
        }
        return c;
    }

    @Override
    public TypeSerializerSnapshot<DecodedCrop> snapshotConfiguration() {
        return new Snapshot();
    }

    private static void writeString(String s, DataOutputView out) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    private static String readString(DataInputView in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }

    /** Flink's snapshot of this stateless serializer. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<DecodedCrop> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
