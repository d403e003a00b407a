package org.bloomstream.inference.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.onnxruntime.engine.OrtSymbolBlock;
import ai.djl.translate.Batchifier;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import ai.djl.util.PairList;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A DinoBloom-style embedder served by ONNX Runtime through DJL: one {@link Model} and one {@link
 * Predictor} per instance.
 *
 * <p>Normalisation happens while packing the batch (one pass over the bytes, straight into the NCHW
 * tensor), or in the graph for uint8 models, where the smaller tensor also cuts the host-to-device
 * copy by 4x on GPU.
 */
public final class OnnxEmbedder implements Embedder {
    static {
        // DJL phones home at engine start unless told not to; the launchers set these too.
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
    }

    private final EmbedderManifest manifest;
    private final Model model;
    private final OrtSession.SessionOptions options;
    private final Predictor<Batch, float[][]> predictor;

    /** Extra predictors for concurrent {@link #run} calls (DJL predictors are single-threaded). */
    private final ConcurrentLinkedDeque<Predictor<Batch, float[][]>> idle =
            new ConcurrentLinkedDeque<>();

    private final List<Predictor<Batch, float[][]>> all = new CopyOnWriteArrayList<>();

    /** The graph with resize and normalisation in front ({@link ResizeGraph}), or null. */
    private OrtSession rawSession;

    private final String provider;
    private final float[] scale = new float[3];
    private final float[] shift = new float[3];

    private OnnxEmbedder(
            EmbedderManifest manifest,
            Model model,
            OrtSession.SessionOptions options,
            Predictor<Batch, float[][]> predictor,
            String provider) {
        this.provider = provider;
        this.manifest = manifest;
        this.model = model;
        this.options = options;
        this.predictor = predictor;
        normalisation(manifest, scale, shift);
        idle.add(predictor);
        all.add(predictor);
    }

    /** (x/s - mean)/std == x * (1/(s*std)) - mean/std; the graph variant uses the same floats. */
    static void normalisation(EmbedderManifest manifest, float[] scale, float[] shift) {
        EmbedderManifest.Preprocessing p = manifest.preprocessing();
        for (int c = 0; c < 3; c++) {
            scale[c] = (float) (1.0 / (p.scale() * p.std().get(c)));
            shift[c] = (float) (p.mean().get(c) / p.std().get(c));
        }
    }

    /**
     * Opens the ONNX file and its manifest ({@code x.onnx} + {@code x.json}) on the configured
     * execution provider, and checks the graph against the manifest.
     */
    public static OnnxEmbedder open(Path onnx, ExecutionConfig exec) throws IOException {
        return open(onnx, exec, false);
    }

    /**
     * As {@link #open(Path, ExecutionConfig)}; with {@code resizeInGraph}, also opens the graph
     * with resize and normalisation in front ({@link ResizeGraph}) on the same provider, so that
     * {@link #pack} takes crops at their decoded size. That keeps a second copy of the weights in
     * memory (the first still serves crops already resized).
     */
    public static OnnxEmbedder open(Path onnx, ExecutionConfig exec, boolean resizeInGraph)
            throws IOException {
        if (!Files.isRegularFile(onnx)) {
            throw new IOException("embedder model not found: " + onnx.toAbsolutePath());
        }
        EmbedderManifest manifest = EmbedderManifest.forModel(onnx);
        ExecutionProviders.environment(); // starts DJL's engine without pinning the job's loader
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        Model model = null;
        try {
            options.setIntraOpNumThreads(exec.intraOpThreads());
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // ORT's worker threads spin between calls by default, which starves the decode,
            // Kafka and Flink threads that share the cores in a pipeline. Sleep instead.
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.addConfigEntry("session.inter_op.allow_spinning", "0");
            String provider = ExecutionProviders.configure(options, exec, manifest);
            model = Model.newInstance(manifest.modelId(), Device.cpu(), "OnnxRuntime");
            // DJL's string options cannot express every provider setting; SessionOptions can.
            model.load(onnx, null, Map.of("sessionOptions", options));
            checkGraph(model, manifest, onnx);
            Predictor<Batch, float[][]> predictor =
                    model.newPredictor(new EmbedTranslator(manifest));
            OnnxEmbedder embedder = new OnnxEmbedder(manifest, model, options, predictor, provider);
            model = null; // owned by the embedder from here on
            try {
                if (resizeInGraph) {
                    byte[] merged = ResizeGraph.prependTo(Files.readAllBytes(onnx), manifest);
                    embedder.rawSession =
                            ExecutionProviders.environment().createSession(merged, options);
                }
                embedder.warmUp(onnx);
            } catch (IOException | OrtException | RuntimeException e) {
                embedder.close();
                if (e instanceof IOException io) {
                    throw io;
                }
                throw new IOException(
                        "cannot load " + onnx + " with resize in the graph: " + e.getMessage(), e);
            }
            return embedder;
        } catch (OrtException | MalformedModelException | RuntimeException e) {
            if (model != null) {
                model.close();
            }
            options.close();
            throw new IOException("cannot load " + onnx + ": " + e.getMessage(), e);
        } catch (IOException e) {
            if (model != null) {
                model.close();
                options.close();
            }
            throw e;
        }
    }

    /**
     * The manifest is the contract the rest of the pipeline relies on; a graph that disagrees with
     * it (another model, input name, size or embedding width) would fail later and obscurely, so it
     * fails here, naming both sides. The exporter stamps the model id into the graph's metadata;
     * DJL does not describe outputs, so the output width is checked by one warm-up inference on a
     * blank crop (which also moves first-call costs out of the stream).
     */
    static void checkGraph(Model model, EmbedderManifest manifest, Path onnx) throws IOException {
        String where = onnx.getFileName() + " vs its manifest: ";
        if (model.getBlock() instanceof OrtSymbolBlock block) {
            String graphId = block.getCustomMetadata().get("bloomstream.modelId");
            if (graphId != null && !graphId.equals(manifest.modelId())) {
                throw new IOException(
                        where
                                + "the graph is model '"
                                + graphId
                                + "', the manifest describes '"
                                + manifest.modelId()
                                + "'");
            }
        }
        PairList<String, Shape> inputs = model.describeInput();
        if (inputs == null || inputs.size() != 1) {
            throw new IOException(where + "the graph must have exactly one input, has " + inputs);
        }
        if (!inputs.get(0).getKey().equals(manifest.input().name())) {
            throw new IOException(
                    where
                            + "graph input is '"
                            + inputs.get(0).getKey()
                            + "', manifest says '"
                            + manifest.input().name()
                            + "'");
        }
        // DJL gives input names but not shapes for ONNX: the warm-up checks the size.
    }

    /** One blank crop through the model: checks the output against the manifest. */
    private void warmUp(Path onnx) throws IOException {
        int s = manifest.imageSize();
        try {
            embed(new byte[][] {new byte[s * s * 3]}, 1);
            if (rawSession != null) {
                float[][] v = run(pack(new byte[][] {new byte[2 * 3 * 3]}, 1, 3, 2));
                if (v.length != 1 || v[0].length != dim()) {
                    throw new IllegalStateException("resize-in-graph output is not [1, dim]");
                }
            }
        } catch (TranslateException | OrtException | RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException(
                    onnx.getFileName() + " vs its manifest: " + cause.getMessage(), e);
        }
    }

    @Override
    public String modelId() {
        return manifest.modelId();
    }

    @Override
    public int dim() {
        return manifest.embeddingDim();
    }

    @Override
    public int imageSize() {
        return manifest.imageSize();
    }

    @Override
    public String provider() {
        return provider;
    }

    public EmbedderManifest manifest() {
        return manifest;
    }

    @Override
    public float[][] embed(byte[][] rgbCrops, int count) throws TranslateException {
        return predict(packResized(rgbCrops, count));
    }

    @Override
    public boolean resizesInGraph() {
        return rawSession != null;
    }

    /** ONNX Runtime sessions run concurrently; each thread takes its own DJL predictor. */
    @Override
    public boolean concurrentRuns() {
        return true;
    }

    @Override
    public Packed pack(byte[][] rgb, int count, int width, int height) {
        int size = manifest.imageSize();
        if (width == size && height == size) {
            // Already resized (Pillow's resize to the same size is the identity).
            return packResized(rgb, count);
        }
        if (rawSession == null) {
            throw new IllegalStateException(
                    "crop is " + width + "x" + height + " px, model takes " + size);
        }
        // The graph takes HWC bytes as decoded: packing is one copy per crop.
        int bytes = width * height * 3;
        ByteBuffer raw = ByteBuffer.allocateDirect(count * bytes);
        for (int n = 0; n < count; n++) {
            if (rgb[n].length != bytes) {
                throw new IllegalArgumentException(
                        "crop has " + rgb[n].length + " bytes, expected " + bytes);
            }
            raw.put(n * bytes, rgb[n]);
        }
        return new RawBatch(count, width, height, raw);
    }

    @Override
    public float[][] run(Packed packed) throws TranslateException, OrtException {
        if (packed instanceof RawBatch raw) {
            return runRaw(raw);
        }
        return predict((Batch) packed);
    }

    private float[][] predict(Batch batch) throws TranslateException {
        Predictor<Batch, float[][]> p = idle.pollFirst();
        if (p == null) {
            p = model.newPredictor(new EmbedTranslator(manifest));
            all.add(p);
        }
        try {
            return p.predict(batch);
        } finally {
            idle.addFirst(p);
        }
    }

    private float[][] runRaw(RawBatch b) throws OrtException {
        var env = ExecutionProviders.environment();
        int size = manifest.imageSize();
        double[][] m = ResizeGraph.matrices(b.height, b.width, size);
        try (OnnxTensor raw =
                        OnnxTensor.createTensor(
                                env,
                                b.pixels,
                                new long[] {b.count, b.height, b.width, 3},
                                OnnxJavaType.UINT8);
                OnnxTensor rows =
                        OnnxTensor.createTensor(
                                env, DoubleBuffer.wrap(m[0]), new long[] {size, b.height});
                OnnxTensor cols =
                        OnnxTensor.createTensor(
                                env, DoubleBuffer.wrap(m[1]), new long[] {b.width, size});
                OrtSession.Result r =
                        rawSession.run(
                                Map.of(
                                        ResizeGraph.RAW,
                                        raw,
                                        ResizeGraph.ROWS,
                                        rows,
                                        ResizeGraph.COLS,
                                        cols))) {
            Object v = r.get(0).getValue();
            if (!(v instanceof float[][] out) || out.length != b.count) {
                throw new IllegalStateException("resize-in-graph output is not [batch, dim]");
            }
            for (float[] row : out) {
                if (row.length != dim()) {
                    throw new IllegalStateException(
                            "model output width "
                                    + row.length
                                    + " does not match manifest embeddingDim "
                                    + dim());
                }
            }
            return out;
        }
    }

    private Batch packResized(byte[][] rgbCrops, int count) {
        int size = manifest.imageSize();
        int plane = size * size;
        Batch batch = new Batch(count);
        if (manifest.uint8Input()) {
            ByteBuffer pixels = ByteBuffer.allocateDirect(count * 3 * plane);
            for (int n = 0; n < count; n++) {
                byte[] rgb = checkedCrop(rgbCrops[n], plane);
                int base = n * 3 * plane;
                for (int i = 0; i < plane; i++) {
                    pixels.put(base + i, rgb[3 * i]);
                    pixels.put(base + plane + i, rgb[3 * i + 1]);
                    pixels.put(base + 2 * plane + i, rgb[3 * i + 2]);
                }
            }
            batch.uint8 = pixels;
        } else {
            FloatBuffer pixels =
                    ByteBuffer.allocateDirect(count * 3 * plane * Float.BYTES)
                            .order(ByteOrder.nativeOrder())
                            .asFloatBuffer();
            for (int n = 0; n < count; n++) {
                byte[] rgb = checkedCrop(rgbCrops[n], plane);
                int base = n * 3 * plane;
                for (int c = 0; c < 3; c++) {
                    float sc = scale[c];
                    float sh = shift[c];
                    int out = base + c * plane;
                    for (int i = 0; i < plane; i++) {
                        pixels.put(out + i, (rgb[3 * i + c] & 0xff) * sc - sh);
                    }
                }
            }
            batch.float32 = pixels;
        }
        return batch;
    }

    /**
     * Embeds an already normalised float32 NCHW tensor, bypassing the packing step: for parity
     * tests against reference tensors. Only for float32-input models.
     */
    public float[][] embedTensor(FloatBuffer nchw, int count) throws TranslateException {
        if (manifest.uint8Input()) {
            throw new IllegalStateException("model " + modelId() + " takes uint8 input");
        }
        int expected = count * 3 * manifest.imageSize() * manifest.imageSize();
        if (nchw.remaining() != expected) {
            throw new IllegalArgumentException(
                    "tensor has " + nchw.remaining() + " floats, expected " + expected);
        }
        Batch batch = new Batch(count);
        batch.float32 = nchw;
        return predict(batch);
    }

    private static byte[] checkedCrop(byte[] rgb, int plane) {
        if (rgb.length != plane * 3) {
            throw new IllegalArgumentException(
                    "crop has " + rgb.length + " bytes, expected " + plane * 3);
        }
        return rgb;
    }

    @Override
    public void close() {
        for (Predictor<Batch, float[][]> p : all) {
            p.close();
        }
        if (rawSession != null) {
            try {
                rawSession.close();
            } catch (OrtException e) {
                // closing a session only fails if it was closed already
            }
        }
        model.close();
        options.close();
    }

    /** Crops at their decoded size, HWC uint8 BGR, for the resize-in-graph session. */
    private record RawBatch(int count, int width, int height, ByteBuffer pixels)
            implements Packed {}

    /** A packed input batch: exactly one of the buffers is set. */
    static final class Batch implements Packed {
        final int count;
        FloatBuffer float32;
        ByteBuffer uint8;

        Batch(int count) {
            this.count = count;
        }

        @Override
        public int count() {
            return count;
        }
    }

    /** Tensor in, [batch, D] out; batching is ours (the micro-batcher), not DJL's. */
    private static final class EmbedTranslator implements Translator<Batch, float[][]> {
        private final EmbedderManifest manifest;

        EmbedTranslator(EmbedderManifest manifest) {
            this.manifest = manifest;
        }

        @Override
        public NDList processInput(TranslatorContext ctx, Batch batch) {
            NDManager nd = ctx.getNDManager();
            int s = manifest.imageSize();
            Shape shape = new Shape(batch.count, 3, s, s);
            NDArray x =
                    batch.uint8 != null
                            ? nd.create(batch.uint8, shape, DataType.UINT8)
                            : nd.create(batch.float32, shape);
            x.setName(manifest.input().name());
            return new NDList(x);
        }

        @Override
        public float[][] processOutput(TranslatorContext ctx, NDList list) {
            NDArray out = list.get(0);
            long[] shape = out.getShape().getShape();
            int d = manifest.embeddingDim();
            if (shape.length != 2 || shape[1] != d) {
                throw new IllegalStateException(
                        "model output shape "
                                + out.getShape()
                                + " does not match manifest embeddingDim "
                                + d);
            }
            float[] flat = out.toFloatArray();
            int n = (int) shape[0];
            float[][] result = new float[n][d];
            for (int i = 0; i < n; i++) {
                System.arraycopy(flat, i * d, result[i], 0, d);
            }
            return result;
        }

        @Override
        public Batchifier getBatchifier() {
            return null;
        }
    }
}
