package org.bloomstream.inference.drift;

import java.util.SplittableRandom;

/**
 * Random Fourier features of a Gaussian kernel (Rahimi and Recht, 2007): {@code phi(u)_j =
 * sqrt(2/m) cos(w_j . u + b_j)} with {@code w_j ~ N(0, I / sigma^2)} and {@code b_j ~ U[0, 2 pi)},
 * so that {@code phi(u) . phi(v)} approximates {@code exp(-||u - v||^2 / (2 sigma^2))}. The mean of
 * {@code phi} over a sample is a fixed-length summary of its distribution, and the squared distance
 * between two such means estimates MMD^2 between the two samples.
 *
 * <p>The frequencies are not stored: they are regenerated from {@code seed} with {@link
 * SplittableRandom} (whose algorithm the JDK specifies) and Box-Muller written out here, so a
 * profile written today is read identically by a later JVM. Rebuilding costs {@code m * dim}
 * Gaussians (about 0.1 M for 256 x 384), once per operator start.
 *
 * <p>Not thread-safe ({@link #addTo} uses a scratch array): one instance per thread.
 */
public final class RandomFourierFeatures {
    private final int dim;
    // Stored by dimension, [dim][m], so that addTo adds one dimension to every feature's dot
    // product in turn: independent sums the CPU can overlap, not one chain of dependent adds per
    // feature. Each dot product still sums its terms in dimension order: the same value, to the
    // bit, as the feature-by-feature loop (RandomFourierFeaturesTest).
    private final float[][] wByDim; // [dim][m]
    private final float[] b; // [m]
    private final double scale;
    private final double[] dots; // scratch; an instance is used by one thread

    public RandomFourierFeatures(int dim, int features, double sigma, long seed) {
        if (dim < 1 || features < 1 || !(sigma > 0)) {
            throw new IllegalArgumentException(
                    "need dim, features and sigma > 0: " + dim + ", " + features + ", " + sigma);
        }
        this.dim = dim;
        SplittableRandom r = new SplittableRandom(seed);
        wByDim = new float[dim][features];
        b = new float[features];
        for (int j = 0; j < features; j++) { // the draw order fixes the features: keep it
            for (int d = 0; d < dim; d++) {
                wByDim[d][j] = (float) (gaussian(r) / sigma);
            }
            b[j] = (float) (r.nextDouble() * 2 * Math.PI);
        }
        scale = Math.sqrt(2.0 / features);
        dots = new double[features];
    }

    /** One standard normal by Box-Muller (one of the pair; simple and reproducible). */
    private static double gaussian(SplittableRandom r) {
        double u1 = 1.0 - r.nextDouble(); // (0, 1]
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    public int features() {
        return b.length;
    }

    /** {@code w_j[d]}; for tests. */
    float frequency(int j, int d) {
        return wByDim[d][j];
    }

    /** {@code b_j}; for tests. */
    float phase(int j) {
        return b[j];
    }

    /** Adds {@code phi(u)} to {@code sum} (from {@code offset}); returns {@code ||phi(u)||^2}. */
    public double addTo(float[] u, double[] sum, int offset) {
        if (u.length != dim) {
            throw new IllegalArgumentException("vector has " + u.length + " dims, not " + dim);
        }
        int m = b.length;
        for (int j = 0; j < m; j++) {
            dots[j] = b[j];
        }
        for (int d = 0; d < dim; d++) {
            float[] wd = wByDim[d];
            float ud = u[d];
            for (int j = 0; j < m; j++) {
                dots[j] += wd[j] * ud;
            }
        }
        double sq = 0;
        for (int j = 0; j < m; j++) {
            double f = scale * Math.cos(dots[j]);
            sum[offset + j] += f;
            sq += f * f;
        }
        return sq;
    }
}
