package org.bloomstream.inference.typing.knn;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.util.Map;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.model.ExecutionProviders;

/**
 * The kNN search as one ONNX Runtime call per batch: {@code MatMul} of the batch's queries with the
 * whole bank, then {@code TopK} (see {@link OnnxGraphs}). On CPU, ORT's GEMM (MLAS) is vectorised
 * and multi-threaded; with a GPU embedder the same graph runs on CUDA next to it, so the bank lives
 * in GPU memory and only the queries and the top k cross the bus.
 */
public final class OnnxSimilarityIndex implements SimilarityIndex {
    private final OrtEnvironment env;
    private final OrtSession.SessionOptions options;
    private final OrtSession session;
    private final int dim;
    private final int k;
    private final String engine;
    private final boolean euclidean;

    private OnnxSimilarityIndex(
            OrtEnvironment env,
            OrtSession.SessionOptions options,
            OrtSession session,
            int dim,
            int k,
            String engine,
            boolean euclidean) {
        this.env = env;
        this.euclidean = euclidean;
        this.options = options;
        this.session = session;
        this.dim = dim;
        this.k = k;
        this.engine = engine;
    }

    /**
     * Builds the graph for {@code bank} ({@code rows x dim} unit-length vectors, row-major) and
     * opens it on {@code exec}'s provider: CPU, or CUDA for either GPU provider (TensorRT would
     * build an engine for a graph that is one GEMM).
     */
    public static OnnxSimilarityIndex open(float[] bank, int dim, int k, ExecutionConfig exec)
            throws IOException {
        return open(bank, dim, k, exec, false);
    }

    /**
     * The Euclidean search over raw (not unit-length) rows, in float32: its {@link TopK} holds
     * minus the distance as the similarity. Near-equal distances may rank differently from the
     * double-precision {@link ExactEuclideanIndex}.
     */
    public static OnnxSimilarityIndex openEuclidean(
            float[] bank, int dim, int k, ExecutionConfig exec) throws IOException {
        return open(bank, dim, k, exec, true);
    }

    private static OnnxSimilarityIndex open(
            float[] bank, int dim, int k, ExecutionConfig exec, boolean euclidean)
            throws IOException {
        if (dim < 1 || bank.length == 0 || bank.length % dim != 0) {
            throw new IllegalArgumentException("bank must be a non-empty rows x " + dim + " array");
        }
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, was " + k);
        }
        int kk = Math.min(k, bank.length / dim);
        OrtEnvironment env = ExecutionProviders.environment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(exec.intraOpThreads());
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.addConfigEntry("session.inter_op.allow_spinning", "0");
            String provider = ExecutionProviders.configureAuxiliary(options, exec);
            byte[] graph =
                    euclidean
                            ? OnnxGraphs.euclideanTopK(bank, dim, kk)
                            : OnnxGraphs.similarityTopK(bank, dim, kk);
            OrtSession session = env.createSession(graph, options);
            return new OnnxSimilarityIndex(
                    env, options, session, dim, kk, "onnx:" + provider, euclidean);
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw new IOException("cannot build the kNN search graph: " + e.getMessage(), e);
        } catch (IOException e) {
            options.close();
            throw e;
        }
    }

    @Override
    public TopK search(float[][] queries, int n) {
        FloatBuffer in = FloatBuffer.allocate(n * dim);
        for (int i = 0; i < n; i++) {
            if (queries[i].length != dim) {
                throw new IllegalArgumentException(
                        "query has " + queries[i].length + " dims, bank has " + dim);
            }
            in.put(queries[i]);
        }
        in.flip();
        try (OnnxTensor t = OnnxTensor.createTensor(env, in, new long[] {n, dim});
                OrtSession.Result r = session.run(Map.of(OnnxGraphs.QUERY, t))) {
            FloatBuffer values = ((OnnxTensor) r.get(OnnxGraphs.VALUES).get()).getFloatBuffer();
            java.nio.LongBuffer indices =
                    ((OnnxTensor) r.get(OnnxGraphs.INDICES).get()).getLongBuffer();
            float[] sims = new float[n * k];
            int[] idx = new int[n * k];
            values.get(sims);
            if (euclidean) {
                for (int i = 0; i < n; i++) {
                    double sq = 0;
                    for (float v : queries[i]) {
                        sq += (double) v * v;
                    }
                    for (int j = 0; j < k; j++) {
                        double d2 = Math.max(0, sq - sims[i * k + j]);
                        sims[i * k + j] = (float) -Math.sqrt(d2);
                    }
                }
            }
            for (int i = 0; i < idx.length; i++) {
                idx[i] = (int) indices.get(i);
            }
            return new TopK(n, k, sims, idx);
        } catch (OrtException e) {
            throw new IllegalStateException("kNN search failed: " + e.getMessage(), e);
        }
    }

    @Override
    public int k() {
        return k;
    }

    @Override
    public String engine() {
        return engine;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            // nothing left to do with a session that fails to close
        } finally {
            options.close();
        }
    }
}
