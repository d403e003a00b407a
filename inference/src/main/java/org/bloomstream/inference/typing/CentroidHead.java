package org.bloomstream.inference.typing;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Nearest-centroid cell typing: the cosine similarity of the centred embedding to each class
 * centroid, turned into probabilities by a softmax with a calibrated temperature.
 *
 * <p>This is the walking skeleton's head; kNN and linear-probe heads fitted the way the DinoBloom
 * paper evaluates them come with the cell-typing issue. The file records its class vocabulary and
 * the embedding model it was fitted on, and loading it against another model is an error.
 */
public final class CentroidHead implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String FORMAT = "bloomstream-head/1";
    public static final String KIND = "nearest-centroid";

    private final String headId;
    private final String embeddingModelId;
    private final List<String> classes;
    private final float[][] centroids; // unit length

    /**
     * Subtracted before normalising: the mean reference embedding (ViT features share a large
     * common component that would otherwise make every cosine similarity close to 1).
     */
    private final float[] center;

    private final double temperature;

    public CentroidHead(
            String headId,
            String embeddingModelId,
            List<String> classes,
            float[][] centroids,
            float[] center,
            double temperature) {
        if (classes.isEmpty() || classes.size() != centroids.length) {
            throw new IllegalArgumentException("one centroid per class is required");
        }
        if (temperature <= 0) {
            throw new IllegalArgumentException("temperature must be positive");
        }
        int dim = centroids[0].length;
        this.centroids = new float[centroids.length][];
        for (int i = 0; i < centroids.length; i++) {
            if (centroids[i].length != dim) {
                throw new IllegalArgumentException("centroids differ in dimension");
            }
            this.centroids[i] = normalised(centroids[i]);
        }
        if (center.length != dim) {
            throw new IllegalArgumentException("center differs in dimension from the centroids");
        }
        this.center = center.clone();
        this.headId = headId;
        this.embeddingModelId = embeddingModelId;
        this.classes = List.copyOf(classes);
        this.temperature = temperature;
    }

    /**
     * Fits centroids as the mean of each class's centred, normalised embeddings; the centre is the
     * mean of all embeddings.
     */
    public static CentroidHead fit(
            String headId,
            String embeddingModelId,
            List<String> labels,
            List<float[]> embeddings,
            double temperature) {
        if (labels.size() != embeddings.size() || labels.isEmpty()) {
            throw new IllegalArgumentException("need one label per embedding");
        }
        int dim = embeddings.get(0).length;
        float[] center = new float[dim];
        for (float[] e : embeddings) {
            for (int d = 0; d < dim; d++) {
                center[d] += e[d] / embeddings.size();
            }
        }
        Map<String, double[]> sums = new LinkedHashMap<>();
        for (int i = 0; i < labels.size(); i++) {
            float[] e = centredUnit(embeddings.get(i), center);
            double[] s = sums.computeIfAbsent(labels.get(i), k -> new double[dim]);
            for (int d = 0; d < dim; d++) {
                s[d] += e[d];
            }
        }
        List<String> classes = new ArrayList<>(sums.keySet());
        float[][] centroids = new float[classes.size()][];
        for (int c = 0; c < classes.size(); c++) {
            double[] s = sums.get(classes.get(c));
            centroids[c] = new float[dim];
            for (int d = 0; d < dim; d++) {
                centroids[c][d] = (float) s[d];
            }
        }
        return new CentroidHead(headId, embeddingModelId, classes, centroids, center, temperature);
    }

    /** The same head with another softmax temperature. */
    public CentroidHead withTemperature(double t) {
        return new CentroidHead(headId, embeddingModelId, classes, centroids, center, t);
    }

    /**
     * Picks the temperature that minimises the negative log-likelihood of held-out labelled
     * embeddings (a grid over 0.002..2), so the probabilities mean what they say.
     */
    public CentroidHead calibrated(List<String> labels, List<float[]> embeddings) {
        double best = temperature;
        double bestNll = Double.POSITIVE_INFINITY;
        for (double t = 0.002; t <= 2.0; t *= 1.1) {
            CentroidHead h = withTemperature(t);
            double nll = 0;
            for (int i = 0; i < labels.size(); i++) {
                int c = classes.indexOf(labels.get(i));
                if (c < 0) {
                    throw new IllegalArgumentException("unknown label " + labels.get(i));
                }
                nll -= Math.log(Math.max(h.probabilities(embeddings.get(i))[c], 1e-12));
            }
            if (nll < bestNll) {
                bestNll = nll;
                best = t;
            }
        }
        return withTemperature(best);
    }

    public double temperature() {
        return temperature;
    }

    public String headId() {
        return headId;
    }

    public String embeddingModelId() {
        return embeddingModelId;
    }

    public List<String> classes() {
        return classes;
    }

    public int dim() {
        return centroids[0].length;
    }

    /** Class probabilities for one embedding, in {@link #classes()} order. */
    public float[] probabilities(float[] embedding) {
        if (embedding.length != dim()) {
            throw new IllegalArgumentException(
                    "embedding has " + embedding.length + " dims, head expects " + dim());
        }
        float[] e = centredUnit(embedding, center);
        double[] logits = new double[centroids.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < centroids.length; c++) {
            double dot = 0;
            float[] mu = centroids[c];
            for (int d = 0; d < mu.length; d++) {
                dot += mu[d] * e[d];
            }
            logits[c] = dot / temperature;
            max = Math.max(max, logits[c]);
        }
        double sum = 0;
        for (int c = 0; c < logits.length; c++) {
            logits[c] = Math.exp(logits[c] - max);
            sum += logits[c];
        }
        float[] p = new float[logits.length];
        for (int c = 0; c < logits.length; c++) {
            p[c] = (float) (logits[c] / sum);
        }
        return p;
    }

    public static CentroidHead read(Path json) throws IOException {
        File f = new ObjectMapper().readValue(json.toFile(), File.class);
        if (!FORMAT.equals(f.format) || !KIND.equals(f.kind)) {
            throw new IOException(
                    json
                            + ": expected format "
                            + FORMAT
                            + " kind "
                            + KIND
                            + ", found "
                            + f.format
                            + " "
                            + f.kind);
        }
        if (f.classes == null || f.centroids == null || f.classes.size() != f.centroids.length) {
            throw new IOException(json + ": classes and centroids must match one to one");
        }
        for (float[] c : f.centroids) {
            if (c.length != f.dim) {
                throw new IOException(json + ": a centroid is not " + f.dim + "-dimensional");
            }
        }
        float[] center = f.center != null ? f.center : new float[f.dim];
        if (center.length != f.dim) {
            throw new IOException(json + ": center is not " + f.dim + "-dimensional");
        }
        return new CentroidHead(
                f.headId, f.embeddingModelId, f.classes, f.centroids, center, f.temperature);
    }

    public void write(Path json) throws IOException {
        File f = new File();
        f.format = FORMAT;
        f.kind = KIND;
        f.headId = headId;
        f.embeddingModelId = embeddingModelId;
        f.dim = dim();
        f.temperature = temperature;
        f.classes = classes;
        f.centroids = centroids;
        f.center = center;
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), f);
    }

    /** Fails with a clear message when the head was fitted on another embedding model. */
    public void checkCompatible(String modelId, int modelDim) {
        if (!embeddingModelId.equals(modelId) || dim() != modelDim) {
            throw new IllegalArgumentException(
                    "head "
                            + headId
                            + " was fitted on "
                            + embeddingModelId
                            + " ("
                            + dim()
                            + " dims) but the embedder is "
                            + modelId
                            + " ("
                            + modelDim
                            + " dims); refit the head for this model");
        }
    }

    private static float[] normalised(float[] v) {
        return centredUnit(v, new float[v.length]);
    }

    private static float[] centredUnit(float[] v, float[] center) {
        double n = 0;
        for (int i = 0; i < v.length; i++) {
            double x = v[i] - center[i];
            n += x * x;
        }
        double inv = n > 0 ? 1.0 / Math.sqrt(n) : 0;
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) ((v[i] - center[i]) * inv);
        }
        return out;
    }

    /** The JSON layout. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    static final class File {
        public String format;
        public String kind;
        public String headId;
        public String embeddingModelId;
        public int dim;
        public double temperature;
        public List<String> classes;
        public float[][] centroids;
        public float[] center;
    }
}
