package org.bloomstream.inference.typing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bloomstream.inference.model.ExecutionConfig;

/**
 * Nearest-centroid cell typing: the cosine similarity of the centred embedding to each class
 * centroid, turned into probabilities by a softmax with a calibrated temperature.
 *
 * <p>The walking skeleton's head, kept because it is cheap and needs no library. The kNN and
 * linear-probe heads are the kinds the DinoBloom paper evaluates. The out-of-distribution
 * similarity of a cell is its similarity to the nearest centroid.
 */
public final class CentroidHead implements CellTypeHead {
    private static final long serialVersionUID = 2L;
    public static final String KIND = "nearest-centroid";

    private final HeadInfo info;
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
        this(
                new HeadInfo(
                        headId,
                        embeddingModelId,
                        centroids.length > 0 ? centroids[0].length : 1,
                        classes,
                        UnknownPolicy.OFF,
                        Map.of()),
                centroids,
                center,
                temperature);
    }

    public CentroidHead(HeadInfo info, float[][] centroids, float[] center, double temperature) {
        if (info.classes().size() != centroids.length) {
            throw new IllegalArgumentException("one centroid per class is required");
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be positive");
        }
        int dim = info.dim();
        this.centroids = new float[centroids.length][];
        for (int i = 0; i < centroids.length; i++) {
            if (centroids[i].length != dim) {
                throw new IllegalArgumentException("centroids differ in dimension");
            }
            this.centroids[i] = Vectors.unit(centroids[i]);
        }
        if (center.length != dim) {
            throw new IllegalArgumentException("center differs in dimension from the centroids");
        }
        this.center = center.clone();
        this.info = info;
        this.temperature = temperature;
    }

    /**
     * Fits centroids as the mean of each class's centred, normalised embeddings; the centre is the
     * mean of all embeddings. Classes are in order of first appearance.
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
        float[][] rows = embeddings.toArray(new float[0][]);
        float[] center = Vectors.mean(rows);
        ClassCentroids cc = ClassCentroids.of(labels, rows, center);
        return new CentroidHead(
                new HeadInfo(
                        headId,
                        embeddingModelId,
                        rows[0].length,
                        cc.classes(),
                        UnknownPolicy.OFF,
                        Map.of()),
                cc.centroids(),
                center,
                temperature);
    }

    /** The same head with another softmax temperature. */
    public CentroidHead withTemperature(double t) {
        return new CentroidHead(info, centroids, center, t);
    }

    @Override
    public CentroidHead withUnknownPolicy(UnknownPolicy policy) {
        return new CentroidHead(info.withUnknownPolicy(policy), centroids, center, temperature);
    }

    /** The same head with other provenance. */
    public CentroidHead withProvenance(Map<String, String> provenance) {
        return new CentroidHead(
                new HeadInfo(
                        info.headId(),
                        info.embeddingModelId(),
                        info.dim(),
                        info.classes(),
                        info.unknownPolicy(),
                        provenance),
                centroids,
                center,
                temperature);
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
                int c = info.classes().indexOf(labels.get(i));
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

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public HeadInfo info() {
        return info;
    }

    float[][] centroids() {
        return centroids;
    }

    float[] center() {
        return center;
    }

    /** Class probabilities for one embedding, in {@link #classes()} order. */
    public float[] probabilities(float[] embedding) {
        return score(embedding, null);
    }

    /** Probabilities; the nearest-centroid similarity goes to {@code similarity[0]} if given. */
    private float[] score(float[] embedding, float[] similarity) {
        if (embedding.length != dim()) {
            throw new IllegalArgumentException(
                    "embedding has " + embedding.length + " dims, head expects " + dim());
        }
        float[] e = Vectors.centredUnit(embedding, center);
        double[] logits = new double[centroids.length];
        double maxSim = -1;
        for (int c = 0; c < centroids.length; c++) {
            double dot = Vectors.dot(centroids[c], e);
            maxSim = Math.max(maxSim, dot);
            logits[c] = dot / temperature;
        }
        if (similarity != null) {
            similarity[0] = (float) maxSim;
        }
        return Vectors.softmax(logits);
    }

    @Override
    public HeadScorer open(ExecutionConfig exec) {
        return (embeddings, n) -> {
            Vectors.checkRows(embeddings, n, dim());
            float[][] p = new float[n][];
            float[] sim = new float[n];
            float[] s = new float[1];
            for (int i = 0; i < n; i++) {
                p[i] = score(embeddings[i], s);
                sim[i] = s[0];
            }
            return new Scores(p, sim);
        };
    }

    /** Reads a head file that must hold a nearest-centroid head. */
    public static CentroidHead read(Path json) throws IOException {
        CellTypeHead h = HeadFiles.read(json);
        if (h instanceof CentroidHead c) {
            return c;
        }
        throw new IOException(json + ": expected kind " + KIND + ", found " + h.kind());
    }

    /**
     * Per-class centroids of centred, normalised embeddings; classes in order of first appearance.
     * Shared with the linear head, which uses them for its out-of-distribution check.
     */
    record ClassCentroids(List<String> classes, float[][] centroids) {
        static ClassCentroids of(List<String> labels, float[][] rows, float[] center) {
            int dim = rows[0].length;
            Map<String, double[]> sums = new LinkedHashMap<>();
            for (int i = 0; i < labels.size(); i++) {
                float[] e = Vectors.centredUnit(rows[i], center);
                double[] s = sums.computeIfAbsent(labels.get(i), k -> new double[dim]);
                for (int d = 0; d < dim; d++) {
                    s[d] += e[d];
                }
            }
            List<String> classes = new ArrayList<>(sums.keySet());
            float[][] centroids = new float[classes.size()][dim];
            for (int c = 0; c < classes.size(); c++) {
                double[] s = sums.get(classes.get(c));
                for (int d = 0; d < dim; d++) {
                    centroids[c][d] = (float) s[d];
                }
                centroids[c] = Vectors.unit(centroids[c]);
            }
            return new ClassCentroids(classes, centroids);
        }

        /** Centroids in the order of {@code order}; a class without cells gets a zero vector. */
        float[][] inOrder(List<String> order) {
            float[][] out = new float[order.size()][];
            for (int c = 0; c < order.size(); c++) {
                int i = classes.indexOf(order.get(c));
                out[c] = i >= 0 ? centroids[i] : new float[centroids[0].length];
            }
            return out;
        }
    }
}
