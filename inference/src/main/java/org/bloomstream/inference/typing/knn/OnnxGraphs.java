package org.bloomstream.inference.typing.knn;

import static org.bloomstream.inference.model.OnnxProto.valueInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bloomstream.inference.model.OnnxProto.Msg;

/**
 * Writes the kNN search as a two-node ONNX graph, {@code MatMul(query, bank) -> TopK}, straight in
 * protobuf wire format.
 *
 * <p>Why by hand: the graph is tiny and fixed, and the only other ways to build ONNX on the JVM
 * bring protobuf-java plus generated ONNX classes into the serving path (Tribuo's tribuo-util-onnx)
 * or need Python at runtime. The field numbers below are those of onnx/onnx.proto (IR version 8,
 * opset 17); the round trip through ONNX Runtime is what the tests check.
 *
 * <pre>
 * query  [batch, D] float   (unit length, a graph input)
 * bank   [D, N]     float   (unit length rows of the bank, transposed; an initializer, so ORT
 *                            uploads it once and can pre-pack it for its GEMM)
 * k      [1]        int64   (initializer)
 * scores = MatMul(query, bank)                      [batch, N]
 * values, indices = TopK(scores, k, axis=-1, largest=1, sorted=1)   [batch, k]
 * </pre>
 *
 * Limit: a protobuf message is at most 2 GB, so the bank must stay under about 500M floats (1.3M x
 * 384); larger banks would need ONNX external data.
 */
final class OnnxGraphs {
    static final String QUERY = "query";
    static final String VALUES = "values";
    static final String INDICES = "indices";

    private static final int FLOAT = 1; // TensorProto.DataType
    private static final int INT64 = 7;
    private static final int ATTR_INT = 2; // AttributeProto.AttributeType

    private OnnxGraphs() {}

    /** The graph for a row-major {@code rows x dim} bank and {@code k} neighbours. */
    static byte[] similarityTopK(float[] bank, int dim, int k) {
        return topK(bank, dim, k, false);
    }

    /**
     * The Euclidean variant: {@code scores = MatMul(query, 2 * bank^T) + offset} with {@code offset
     * = -||y||^2} per bank row, so {@code scores = ||x||^2 - ||x - y||^2} and the largest scores
     * are the nearest rows; the caller subtracts {@code ||x||^2} back.
     */
    static byte[] euclideanTopK(float[] bank, int dim, int k) {
        return topK(bank, dim, k, true);
    }

    private static byte[] topK(float[] bank, int dim, int k, boolean euclidean) {
        int rows = bank.length / dim;
        Msg graph = new Msg();
        graph.msg(
                1,
                node(
                        "matmul",
                        "MatMul",
                        new String[] {QUERY, "bank"},
                        new String[] {euclidean ? "products" : "scores"}));
        if (euclidean) {
            graph.msg(
                    1,
                    node(
                            "offset",
                            "Add",
                            new String[] {"products", "offset"},
                            new String[] {"scores"}));
        }
        Msg topk =
                node("topk", "TopK", new String[] {"scores", "k"}, new String[] {VALUES, INDICES});
        topk.msg(5, intAttribute("axis", -1));
        topk.msg(5, intAttribute("largest", 1));
        topk.msg(5, intAttribute("sorted", 1));
        graph.msg(1, topk);
        graph.str(2, "bloomstream-knn");

        // bank, transposed to [dim, rows], as raw little-endian floats
        ByteBuffer raw = ByteBuffer.allocate(bank.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        float factor = euclidean ? 2f : 1f;
        for (int d = 0; d < dim; d++) {
            for (int r = 0; r < rows; r++) {
                raw.putFloat(factor * bank[r * dim + d]);
            }
        }
        Msg bankTensor = new Msg();
        bankTensor.int64(1, dim);
        bankTensor.int64(1, rows);
        bankTensor.int64(2, FLOAT);
        bankTensor.str(8, "bank");
        bankTensor.bytes(9, raw.array());
        graph.msg(5, bankTensor);
        if (euclidean) {
            ByteBuffer offset = ByteBuffer.allocate(rows * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int r = 0; r < rows; r++) {
                double sq = 0;
                for (int d = 0; d < dim; d++) {
                    sq += (double) bank[r * dim + d] * bank[r * dim + d];
                }
                offset.putFloat((float) -sq);
            }
            Msg offsetTensor = new Msg();
            offsetTensor.int64(1, rows);
            offsetTensor.int64(2, FLOAT);
            offsetTensor.str(8, "offset");
            offsetTensor.bytes(9, offset.array());
            graph.msg(5, offsetTensor);
        }

        Msg kTensor = new Msg();
        kTensor.int64(1, 1);
        kTensor.int64(2, INT64);
        kTensor.str(8, "k");
        kTensor.bytes(9, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(k).array());
        graph.msg(5, kTensor);

        graph.msg(11, valueInfo(QUERY, FLOAT, "batch", dim));
        graph.msg(12, valueInfo(VALUES, FLOAT, "batch", k));
        graph.msg(12, valueInfo(INDICES, INT64, "batch", k));

        Msg model = new Msg();
        model.int64(1, 8); // ir_version
        model.str(2, "bloomstream");
        Msg opset = new Msg();
        opset.str(1, "");
        opset.int64(2, 17);
        model.msg(8, opset);
        model.msg(7, graph);
        return model.toByteArray();
    }

    private static Msg node(String name, String op, String[] inputs, String[] outputs) {
        Msg n = new Msg();
        for (String i : inputs) {
            n.str(1, i);
        }
        for (String o : outputs) {
            n.str(2, o);
        }
        n.str(3, name);
        n.str(4, op);
        return n;
    }

    private static Msg intAttribute(String name, long value) {
        Msg a = new Msg();
        a.str(1, name);
        a.int64(3, value);
        a.int64(20, ATTR_INT);
        return a;
    }
}
