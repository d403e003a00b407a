package org.bloomstream.inference.model;

import static org.bloomstream.inference.model.OnnxProto.valueInfo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.bloomstream.inference.image.AntialiasedResize;
import org.bloomstream.inference.model.OnnxProto.Msg;

/**
 * Resize and normalise inside the ONNX graph: Pillow's antialiased bilinear resize written as two
 * float64 matrix products per channel, prepended to the embedder's own graph, so that the CPU only
 * decodes and the accelerator does the rest.
 *
 * <pre>
 * raw          [N, H, W, 3] uint8   decoded pixels, HWC, BGR (the JPEG decoder's own layout,
 *                                    {@link AntialiasedResize#bgrBytes}), one source size
 * resize_rows  [S, H]       float64 {@link AntialiasedResize#filterMatrix}(H, S)
 * resize_cols  [W, S]       float64 filterMatrix(W, S) transposed
 * x  = Gather(Transpose(Cast(raw, double), [0,3,1,2]), [2,1,0], axis 1) [N, 3, H, W] RGB
 * h  = Min(Floor((MatMul(x, resize_cols) + 2^21) / 2^22), 255)       [N, 3, H, S]  (Pillow's
 *      horizontal pass with its 8-bit intermediate)
 * v  = Min(Floor((MatMul(resize_rows, h) + 2^21) / 2^22), 255)       [N, 3, S, S]
 * pixels = Cast(v, float) * scale - shift   (float32 models; uint8 models get Cast(v, uint8))
 * </pre>
 *
 * <p>Why float64: the weights are Pillow's 22-bit fixed-point integers, so every product and
 * partial sum is an integer below 2^53 and the result is exact in any summation order; the graph
 * then reproduces Pillow bit for bit (tested), and the normalisation repeats the Java packer's
 * float operations, so the model sees the same tensor as on the Pillow path. Float32 would round
 * (and the CUDA provider's TF32 or TensorRT's fp16 would round more); float64 nodes also keep
 * TensorRT off this part of the graph, leaving it to the CUDA provider. Weights are non-negative,
 * so no clip at 0 is needed.
 *
 * <p>The cost: dense matrices multiply by every pixel where Pillow touches only a few neighbours,
 * about {@code 3*H*W*S + 3*S*H*S} multiply-adds per crop (115M for a 316 px crop). A GPU does that
 * in microseconds; on a CPU it is far slower than Pillow, so this is an option for accelerator
 * hosts, not a CPU speed-up.
 *
 * <p>The surgery works on the serialised ModelProto (protobuf wire format, field numbers of
 * onnx/onnx.proto): the embedder graph's pixel input is removed, the preprocessing nodes, inputs
 * and constants are added, and everything else is copied byte for byte. Limit: models with external
 * data are not supported (the exporter writes them inline below 2 GB).
 */
public final class ResizeGraph {
    public static final String RAW = "raw";
    public static final String ROWS = "resize_rows";
    public static final String COLS = "resize_cols";
    static final String RESIZED = "resized";
    private static final String P = "bloomstream_resize/";

    private static final int FLOAT = 1; // TensorProto.DataType
    private static final int UINT8 = 2;
    private static final int INT64 = 7;
    private static final int DOUBLE = 11;

    private ResizeGraph() {}

    /**
     * A standalone graph: raw pixels and the two matrices in, the resized crops as uint8 NCHW
     * {@code [N, 3, S, S]} out ({@value #RESIZED}). For tests against {@link AntialiasedResize}.
     */
    static byte[] standalone(int size) {
        Msg graph = new Msg();
        resizeNodes(graph, size);
        graph.msg(1, castNode(P + "v", RESIZED, UINT8));
        graph.str(2, "bloomstream-resize");
        inputs(graph, size);
        graph.msg(12, valueInfo(RESIZED, UINT8, "batch", 3, size, size));
        return model(graph.toByteArray(), 17);
    }

    /**
     * The embedder's graph with resize and normalisation in front: inputs {@link #RAW}, {@link
     * #ROWS}, {@link #COLS}; output unchanged.
     */
    public static byte[] prependTo(byte[] embedderModel, EmbedderManifest manifest)
            throws IOException {
        String input = manifest.input().name();
        int size = manifest.imageSize();
        Msg pre = new Msg();
        resizeNodes(pre, size);
        if (manifest.uint8Input()) {
            pre.msg(1, castNode(P + "v", input, UINT8));
        } else {
            float[] scale = new float[3];
            float[] shift = new float[3];
            OnnxEmbedder.normalisation(manifest, scale, shift);
            pre.msg(1, castNode(P + "v", P + "f", FLOAT));
            pre.msg(1, node("Mul", P + "f", P + "scale", P + "fs"));
            pre.msg(1, node("Sub", P + "fs", P + "shift", input));
            pre.msg(5, floatTensor(P + "scale", scale));
            pre.msg(5, floatTensor(P + "shift", shift));
        }
        inputs(pre, size);

        // ModelProto: copy every field, rewriting the graph (7).
        Reader model = new Reader(embedderModel);
        ByteArrayOutputStream out = new ByteArrayOutputStream(embedderModel.length + 4096);
        boolean found = false;
        while (model.more()) {
            int start = model.pos;
            int tag = (int) model.varint();
            int field = tag >>> 3;
            if (field == 7 && (tag & 7) == 2) {
                byte[] graph = model.bytes();
                byte[] rewritten = rewriteGraph(graph, pre.toByteArray(), input);
                Msg g = new Msg();
                g.bytes(7, rewritten);
                out.writeBytes(g.toByteArray());
                found = true;
            } else {
                model.skip(tag & 7);
                out.write(embedderModel, start, model.pos - start);
            }
        }
        if (!found) {
            throw new IOException("not an ONNX model: no graph");
        }
        return out.toByteArray();
    }

    /**
     * Our nodes first (ONNX wants nodes in topological order), then the original graph without its
     * pixel input, then our inputs and constants (repeated fields concatenate).
     */
    private static byte[] rewriteGraph(byte[] graph, byte[] pre, String input) throws IOException {
        ByteArrayOutputStream nodes = new ByteArrayOutputStream();
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        Reader r = new Reader(graph);
        boolean dropped = false;
        while (r.more()) {
            int start = r.pos;
            int tag = (int) r.varint();
            int field = tag >>> 3;
            if (field == 11 && (tag & 7) == 2) {
                byte[] vi = r.bytes();
                if (input.equals(valueInfoName(vi))) {
                    dropped = true;
                    continue;
                }
            } else {
                r.skip(tag & 7);
            }
            rest.write(graph, start, r.pos - start);
        }
        if (!dropped) {
            throw new IOException("the graph has no input '" + input + "'");
        }
        // Split ours into node fields (to go first) and the rest (inputs, initializers).
        Reader p = new Reader(pre);
        ByteArrayOutputStream tail = new ByteArrayOutputStream();
        while (p.more()) {
            int start = p.pos;
            int tag = (int) p.varint();
            p.skip(tag & 7);
            ((tag >>> 3) == 1 ? nodes : tail).write(pre, start, p.pos - start);
        }
        nodes.writeBytes(rest.toByteArray());
        nodes.writeBytes(tail.toByteArray());
        return nodes.toByteArray();
    }

    private static String valueInfoName(byte[] vi) throws IOException {
        Reader r = new Reader(vi);
        while (r.more()) {
            int tag = (int) r.varint();
            if ((tag >>> 3) == 1 && (tag & 7) == 2) {
                return new String(r.bytes(), StandardCharsets.UTF_8);
            }
            r.skip(tag & 7);
        }
        return null;
    }

    /** Cast, transpose, the two passes; leaves {@code P + "v"}: [N, 3, S, S] float64 0..255. */
    private static void resizeNodes(Msg g, int size) {
        g.msg(1, castNode(RAW, P + "x", DOUBLE));
        Msg t = node("Transpose", P + "x", P + "nchw_bgr");
        t.msg(5, intsAttribute("perm", 0, 3, 1, 2));
        g.msg(1, t);
        // The crops arrive as the JPEG decoder wrote them, BGR: reordering the channels here
        // saves the CPU a copy of every crop.
        Msg swap = node("Gather", P + "nchw_bgr", P + "bgr_to_rgb", P + "nchw");
        Msg axis = new Msg();
        axis.str(1, "axis");
        axis.int64(3, 1);
        axis.int64(20, 2); // INT
        swap.msg(5, axis);
        g.msg(1, swap);
        g.msg(5, int64Tensor(P + "bgr_to_rgb", 2, 1, 0));
        g.msg(1, node("MatMul", P + "nchw", COLS, P + "h0"));
        pass(g, P + "h0", P + "h");
        g.msg(1, node("MatMul", ROWS, P + "h", P + "v0"));
        pass(g, P + "v0", P + "v");
        double one = AntialiasedResize.filterScale();
        g.msg(5, doubleTensor(P + "half", one / 2));
        g.msg(5, doubleTensor(P + "one", one));
        g.msg(5, doubleTensor(P + "max", 255));
    }

    /** Pillow's rounding of a fixed-point sum to 8 bits: floor((s + 2^21) / 2^22), at most 255. */
    private static void pass(Msg g, String in, String out) {
        g.msg(1, node("Add", in, P + "half", in + "_a"));
        g.msg(1, node("Div", in + "_a", P + "one", in + "_d"));
        g.msg(1, node("Floor", in + "_d", in + "_f"));
        g.msg(1, node("Min", in + "_f", P + "max", out));
    }

    private static void inputs(Msg g, int size) {
        g.msg(11, valueInfo(RAW, UINT8, "batch", "height", "width", 3));
        g.msg(11, valueInfo(ROWS, DOUBLE, size, "height"));
        g.msg(11, valueInfo(COLS, DOUBLE, "width", size));
    }

    private static byte[] model(byte[] graph, int opset) {
        Msg model = new Msg();
        model.int64(1, 8); // ir_version
        model.str(2, "bloomstream");
        Msg op = new Msg();
        op.str(1, "");
        op.int64(2, opset);
        model.msg(8, op);
        model.bytes(7, graph);
        return model.toByteArray();
    }

    /** The two filter matrices for crops of {@code height x width}: rows [S,H], cols [W,S]. */
    public static double[][] matrices(int height, int width, int size) {
        double[] rows = AntialiasedResize.filterMatrix(height, size);
        double[] colsT = AntialiasedResize.filterMatrix(width, size); // [S, W]
        double[] cols = new double[width * size];
        for (int s = 0; s < size; s++) {
            for (int w = 0; w < width; w++) {
                cols[w * size + s] = colsT[s * width + w];
            }
        }
        return new double[][] {rows, cols};
    }

    private static Msg castNode(String in, String out, int to) {
        Msg n = node("Cast", in, out);
        Msg a = new Msg();
        a.str(1, "to");
        a.int64(3, to);
        a.int64(20, 2); // INT
        n.msg(5, a);
        return n;
    }

    private static Msg node(String op, String... io) {
        Msg n = new Msg();
        for (int i = 0; i < io.length - 1; i++) {
            n.str(1, io[i]);
        }
        String out = io[io.length - 1];
        n.str(2, out);
        n.str(3, out.startsWith(P) ? out : P + out);
        n.str(4, op);
        return n;
    }

    private static Msg intsAttribute(String name, long... values) {
        Msg a = new Msg();
        a.str(1, name);
        for (long v : values) {
            a.int64(8, v);
        }
        a.int64(20, 7); // INTS
        return a;
    }

    private static Msg int64Tensor(String name, long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        Msg t = new Msg();
        t.int64(1, v.length);
        t.int64(2, INT64);
        t.str(8, name);
        t.bytes(9, b.array());
        return t;
    }

    private static Msg doubleTensor(String name, double v) {
        Msg t = new Msg();
        t.int64(2, DOUBLE);
        t.str(8, name);
        t.bytes(9, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(v).array());
        return t;
    }

    private static Msg floatTensor(String name, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        Msg t = new Msg();
        t.int64(1, 1);
        t.int64(1, 3);
        t.int64(1, 1);
        t.int64(1, 1);
        t.int64(2, FLOAT);
        t.str(8, name);
        t.bytes(9, b.array());
        return t;
    }

    /** Reads protobuf wire format: varints, and skipping or reading one field's payload. */
    private static final class Reader {
        final byte[] b;
        int pos;

        Reader(byte[] b) {
            this.b = b;
        }

        boolean more() {
            return pos < b.length;
        }

        long varint() throws IOException {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= b.length) {
                    throw new IOException("truncated protobuf");
                }
                int x = b[pos++];
                v |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) {
                    return v;
                }
            }
            throw new IOException("bad varint");
        }

        byte[] bytes() throws IOException {
            int n = (int) varint();
            if (n < 0 || pos + n > b.length) {
                throw new IOException("truncated protobuf");
            }
            byte[] out = new byte[n];
            System.arraycopy(b, pos, out, 0, n);
            pos += n;
            return out;
        }

        void skip(int wireType) throws IOException {
            switch (wireType) {
                case 0 -> varint();
                case 1 -> pos += 8;
                case 2 -> {
                    int n = (int) varint();
                    pos += n;
                }
                case 5 -> pos += 4;
                default -> throw new IOException("unsupported wire type " + wireType);
            }
            if (pos > b.length) {
                throw new IOException("truncated protobuf");
            }
        }
    }
}
