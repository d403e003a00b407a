package org.bloomstream.inference.typing;

import java.util.Arrays;

/** Small vector helpers shared by the heads. Plain loops: the vectors are short (D <= 1536). */
public final class Vectors {
    private Vectors() {}

    /** {@code (v - center) / ||v - center||}; the zero vector stays zero. */
    public static float[] centredUnit(float[] v, float[] center) {
        double n = 0;
        for (int i = 0; i < v.length; i++) {
            double x = v[i] - (center == null ? 0 : center[i]);
            n += x * x;
        }
        double inv = n > 0 ? 1.0 / Math.sqrt(n) : 0;
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) ((v[i] - (center == null ? 0 : center[i])) * inv);
        }
        return out;
    }

    public static float[] unit(float[] v) {
        return centredUnit(v, null);
    }

    public static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Softmax of {@code logits} in place, computed in double and stable for large logits. */
    public static float[] softmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        double[] e = new double[logits.length];
        for (int c = 0; c < logits.length; c++) {
            e[c] = Math.exp(logits[c] - max);
            sum += e[c];
        }
        float[] p = new float[logits.length];
        for (int c = 0; c < logits.length; c++) {
            p[c] = (float) (e[c] / sum);
        }
        return p;
    }

    /** Index of the largest value; the first one on ties. */
    public static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The mean of the rows. */
    public static float[] mean(float[][] rows) {
        int dim = rows[0].length;
        double[] s = new double[dim];
        for (float[] r : rows) {
            for (int d = 0; d < dim; d++) {
                s[d] += r[d];
            }
        }
        float[] m = new float[dim];
        for (int d = 0; d < dim; d++) {
            m[d] = (float) (s[d] / rows.length);
        }
        return m;
    }

    /**
     * The {@code q}-quantile of {@code values} (linear interpolation between order statistics, as
     * numpy's default); {@code q} in [0, 1].
     */
    public static double quantile(double[] values, double q) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no values");
        }
        double[] s = values.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, s.length - 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }

    /** Throws unless every row has {@code dim} finite values. */
    public static void checkRows(float[][] rows, int n, int dim) {
        if (n > rows.length) {
            throw new IllegalArgumentException("asked for " + n + " rows of " + rows.length);
        }
        for (int i = 0; i < n; i++) {
            if (rows[i].length != dim) {
                throw new IllegalArgumentException(
                        "embedding has " + rows[i].length + " dims, head expects " + dim);
            }
        }
    }
}
