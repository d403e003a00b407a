package org.bloomstream.inference.model;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Just enough of the protobuf wire format to write the small ONNX graphs the project builds itself
 * (the kNN search in {@code typing.knn}, the resize in front of the embedder in {@link
 * ResizeGraph}): varints and length-delimited fields, with no protobuf or ONNX dependency.
 */
public final class OnnxProto {
    private OnnxProto() {}

    /** One protobuf message being written. */
    public static final class Msg {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        private void varint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        private void tag(int field, int wireType) {
            varint(((long) field << 3) | wireType);
        }

        public void int64(int field, long v) {
            tag(field, 0);
            varint(v);
        }

        public void bytes(int field, byte[] v) {
            tag(field, 2);
            varint(v.length);
            out.write(v, 0, v.length);
        }

        public void str(int field, String s) {
            bytes(field, s.getBytes(StandardCharsets.UTF_8));
        }

        public void msg(int field, Msg m) {
            bytes(field, m.toByteArray());
        }

        public byte[] toByteArray() {
            return out.toByteArray();
        }
    }

    /** A tensor ValueInfoProto; each dim is a symbolic name (String) or a size (Number). */
    public static Msg valueInfo(String name, int elemType, Object... dims) {
        Msg shape = new Msg();
        for (Object d : dims) {
            Msg dim = new Msg();
            if (d instanceof String s) {
                dim.str(2, s);
            } else {
                dim.int64(1, ((Number) d).longValue());
            }
            shape.msg(1, dim);
        }
        Msg tensor = new Msg();
        tensor.int64(1, elemType);
        tensor.msg(2, shape);
        Msg type = new Msg();
        type.msg(1, tensor);
        Msg vi = new Msg();
        vi.str(1, name);
        vi.msg(2, type);
        return vi;
    }
}
