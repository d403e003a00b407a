package org.bloomstream.aggregation.mil;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The MIL model format on ONNX Runtime: the instance graph ({@code embeddings [N, D] -> attention
 * [N, C]}) and the bag-head graph ({@code pooled [B, C, D] -> logits [B, C]}).
 *
 * <p>Both are small MLPs (for D = 384: ~50k and ~125k multiply-adds), run on CPU with one thread
 * each; the per-call overhead of ONNX Runtime dominates their cost, which {@code bloomstream bench
 * mil} measures.
 */
public final class OnnxMilModel implements MilModel {
    private static final long serialVersionUID = 1L;

    private final MilManifest manifest;
    private final String instancePath;
    private final String headPath;

    private OnnxMilModel(MilManifest manifest, Path dir) {
        this.manifest = manifest;
        this.instancePath = dir.resolve(manifest.instance().file()).toString();
        this.headPath = dir.resolve(manifest.head().file()).toString();
    }

    /** Reads the manifest ({@code x.json}) and checks its files exist; nothing native yet. */
    public static OnnxMilModel load(Path manifestJson) throws IOException {
        MilManifest m = MilManifest.read(manifestJson);
        return new OnnxMilModel(m, manifestJson.toAbsolutePath().getParent());
    }

    public MilManifest manifest() {
        return manifest;
    }

    @Override
    public String modelId() {
        return manifest.modelId();
    }

    @Override
    public String embeddingModelId() {
        return manifest.embeddingModelId();
    }

    @Override
    public List<String> classes() {
        return manifest.classes();
    }

    @Override
    public String controlClass() {
        return manifest.controlClass();
    }

    @Override
    public int embeddingDim() {
        return manifest.embeddingDim();
    }

    /** Fails with a clear message when the MIL was trained on another embedder. */
    public void checkCompatible(String embedderModelId, int dim) {
        if (!manifest.embeddingModelId().equals(embedderModelId)
                || manifest.embeddingDim() != dim) {
            throw new IllegalArgumentException(
                    "MIL model "
                            + modelId()
                            + " was trained on embeddings of "
                            + manifest.embeddingModelId()
                            + " ("
                            + manifest.embeddingDim()
                            + " dims) but the embedder is "
                            + embedderModelId
                            + " ("
                            + dim
                            + " dims); train a MIL model for this embedder");
        }
    }

    @Override
    public Runtime open() throws OrtException {
        return new OrtRuntime();
    }

    /** Runs the full (batch) model on a whole bag [N, D]: the reference the stream must match. */
    public double[] fullModelLogits(Path manifestJson, float[][] bag) throws OrtException {
        if (manifest.full() == null) {
            throw new IllegalStateException("manifest has no full model");
        }
        OrtEnvironment env = environment();
        String path =
                manifestJson.toAbsolutePath().resolveSibling(manifest.full().file()).toString();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                OrtSession full = env.createSession(path, o);
                OnnxTensor x = tensor(env, bag);
                OrtSession.Result r = full.run(Map.of(manifest.full().input(), x))) {
            float[][] out = (float[][]) r.get(0).getValue();
            double[] logits = new double[out[0].length];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = out[0][i];
            }
            return logits;
        }
    }

    private static OnnxTensor tensor(OrtEnvironment env, float[][] rows) throws OrtException {
        int d = rows[0].length;
        FloatBuffer buf = FloatBuffer.allocate(rows.length * d);
        for (float[] r : rows) {
            buf.put(r);
        }
        buf.flip();
        return OnnxTensor.createTensor(env, buf, new long[] {rows.length, d});
    }

    /**
     * The process's one ONNX Runtime environment. DJL (which serves the embedder) creates it with
     * threading options and fails if anything else created it first, so DJL's engine is started
     * before the environment is touched here, by {@link OrtEngineStart}: started from a Flink task
     * any other way, the JVM-wide environment would keep the job's class loader (issue 17).
     */
    static OrtEnvironment environment() {
        OrtEngineStart.ensureStarted();
        return OrtEnvironment.getEnvironment();
    }

    private final class OrtRuntime implements Runtime {
        private final OrtEnvironment env = environment();
        private final OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        private final OrtSession instance;
        private final OrtSession head;
        private final int c = manifest.numClasses();
        private final int d = manifest.embeddingDim();
        private final FloatBuffer one = FloatBuffer.allocate(d);
        private final FloatBuffer pooledBuf = FloatBuffer.allocate(c * d);

        OrtRuntime() throws OrtException {
            // Tiny graphs: threads would cost more than they save, and must not spin.
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            OrtSession i = env.createSession(instancePath, options);
            try {
                head = env.createSession(headPath, options);
            } catch (OrtException e) {
                i.close();
                options.close();
                throw e;
            }
            instance = i;
        }

        @Override
        public float[] attention(float[] embedding) {
            if (embedding.length != d) {
                throw new IllegalArgumentException(
                        "embedding has " + embedding.length + " dims, MIL expects " + d);
            }
            one.clear();
            one.put(embedding).flip();
            try (OnnxTensor x = OnnxTensor.createTensor(env, one, new long[] {1, d});
                    OrtSession.Result r = instance.run(Map.of(manifest.instance().input(), x))) {
                return ((float[][]) r.get(0).getValue())[0];
            } catch (OrtException e) {
                throw new IllegalStateException("MIL instance model failed: " + e.getMessage(), e);
            }
        }

        @Override
        public float[][] attention(float[][] embeddings, int n) {
            if (n == 1) {
                return new float[][] {attention(embeddings[0])};
            }
            FloatBuffer x = FloatBuffer.allocate(n * d);
            for (int i = 0; i < n; i++) {
                if (embeddings[i].length != d) {
                    throw new IllegalArgumentException(
                            "embedding has " + embeddings[i].length + " dims, MIL expects " + d);
                }
                x.put(embeddings[i]);
            }
            x.flip();
            try (OnnxTensor t = OnnxTensor.createTensor(env, x, new long[] {n, d});
                    OrtSession.Result r = instance.run(Map.of(manifest.instance().input(), t))) {
                return (float[][]) r.get(0).getValue();
            } catch (OrtException e) {
                throw new IllegalStateException("MIL instance model failed: " + e.getMessage(), e);
            }
        }

        @Override
        public double[] logits(double[][] pooled) {
            pooledBuf.clear();
            for (double[] row : pooled) {
                for (double v : row) {
                    pooledBuf.put((float) v);
                }
            }
            pooledBuf.flip();
            try (OnnxTensor x = OnnxTensor.createTensor(env, pooledBuf, new long[] {1, c, d});
                    OrtSession.Result r = head.run(Map.of(manifest.head().input(), x))) {
                float[] out = ((float[][]) r.get(0).getValue())[0];
                double[] logits = new double[out.length];
                for (int i = 0; i < out.length; i++) {
                    logits[i] = out[i];
                }
                return logits;
            } catch (OrtException e) {
                throw new IllegalStateException("MIL bag head failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            try {
                instance.close();
                head.close();
            } catch (OrtException e) {
                throw new IllegalStateException(e);
            } finally {
                options.close();
            }
        }
    }
}
