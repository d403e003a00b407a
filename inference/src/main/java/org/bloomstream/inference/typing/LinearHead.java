package org.bloomstream.inference.typing;

import java.util.List;
import org.bloomstream.inference.model.ExecutionConfig;

/**
 * The linear probe: multinomial logistic regression on standardised embeddings, {@code p =
 * softmax(W z + b)} with {@code z = (x - mean) / scale}. The weights come from a fitting library
 * (Tribuo, in {@code bloomstream fit-head}); serving needs only this matrix-vector product, so the
 * pipeline carries no training library.
 *
 * <p>A logistic regression is confident far from its training data (its logits grow linearly with
 * distance), so its out-of-distribution check does not use its probabilities: like the centroid
 * head, it keeps the class centroids of the centred, normalised fitting embeddings, and a cell's
 * similarity is its cosine similarity to the nearest one.
 */
public final class LinearHead implements CellTypeHead {
    private static final long serialVersionUID = 1L;
    public static final String KIND = "linear";

    private final HeadInfo info;
    private final float[] mean;
    private final float[] scale;
    private final float[][] weights; // [C][D]
    private final float[] bias; // [C]
    private final float[] center;
    private final float[][] centroids; // [C][D], unit length

    public LinearHead(
            HeadInfo info,
            float[] mean,
            float[] scale,
            float[][] weights,
            float[] bias,
            float[] center,
            float[][] centroids) {
        int c = info.classes().size();
        int d = info.dim();
        if (weights.length != c || bias.length != c || centroids.length != c) {
            throw new IllegalArgumentException("one weight row, bias and centroid per class");
        }
        if (mean.length != d || scale.length != d || center.length != d) {
            throw new IllegalArgumentException("mean, scale and center must have " + d + " dims");
        }
        for (int i = 0; i < c; i++) {
            if (weights[i].length != d || centroids[i].length != d) {
                throw new IllegalArgumentException(
                        "weights and centroids must have " + d + " dims");
            }
        }
        for (float s : scale) {
            if (!(s > 0) || !Float.isFinite(s)) {
                throw new IllegalArgumentException("scale must be positive and finite");
            }
        }
        this.info = info;
        this.mean = mean.clone();
        this.scale = scale.clone();
        this.weights = deepCopy(weights);
        this.bias = bias.clone();
        this.center = center.clone();
        this.centroids = new float[c][];
        for (int i = 0; i < c; i++) {
            this.centroids[i] = Vectors.unit(centroids[i]);
        }
    }

    /**
     * A head from fitted weights: {@code rows} are the fitting embeddings (for the centroids of the
     * out-of-distribution check) and {@code labels} their classes.
     */
    public static LinearHead of(
            HeadInfo info,
            float[] mean,
            float[] scale,
            float[][] weights,
            float[] bias,
            List<String> labels,
            float[][] rows) {
        float[] center = Vectors.mean(rows);
        float[][] centroids =
                CentroidHead.ClassCentroids.of(labels, rows, center).inOrder(info.classes());
        return new LinearHead(info, mean, scale, weights, bias, center, centroids);
    }

    @Override
    public HeadInfo info() {
        return info;
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public LinearHead withUnknownPolicy(UnknownPolicy policy) {
        return new LinearHead(
                info.withUnknownPolicy(policy), mean, scale, weights, bias, center, centroids);
    }

    float[] mean() {
        return mean;
    }

    float[] scale() {
        return scale;
    }

    float[][] weights() {
        return weights;
    }

    float[] bias() {
        return bias;
    }

    float[] center() {
        return center;
    }

    float[][] centroids() {
        return centroids;
    }

    /** Class probabilities for one embedding. */
    public float[] probabilities(float[] x) {
        if (x.length != dim()) {
            throw new IllegalArgumentException(
                    "embedding has " + x.length + " dims, head expects " + dim());
        }
        double[] z = new double[x.length];
        for (int d = 0; d < x.length; d++) {
            z[d] = (x[d] - mean[d]) / scale[d];
        }
        double[] logits = new double[weights.length];
        for (int c = 0; c < weights.length; c++) {
            double s = bias[c];
            float[] w = weights[c];
            for (int d = 0; d < z.length; d++) {
                s += w[d] * z[d];
            }
            logits[c] = s;
        }
        return Vectors.softmax(logits);
    }

    /** Cosine similarity of the centred embedding to the nearest class centroid. */
    public float similarity(float[] x) {
        float[] e = Vectors.centredUnit(x, center);
        double best = -1;
        for (float[] c : centroids) {
            best = Math.max(best, Vectors.dot(c, e));
        }
        return (float) best;
    }

    @Override
    public HeadScorer open(ExecutionConfig exec) {
        return (embeddings, n) -> {
            Vectors.checkRows(embeddings, n, dim());
            float[][] p = new float[n][];
            float[] sim = new float[n];
            for (int i = 0; i < n; i++) {
                p[i] = probabilities(embeddings[i]);
                sim[i] = similarity(embeddings[i]);
            }
            return new Scores(p, sim);
        };
    }

    private static float[][] deepCopy(float[][] m) {
        float[][] out = new float[m.length][];
        for (int i = 0; i < m.length; i++) {
            out[i] = m[i].clone();
        }
        return out;
    }
}
