package org.bloomstream.aggregation.mil;

/**
 * Exact multi-class attention pooling over a stream of instances, in O(C*D) memory.
 *
 * <p>Attention MIL pools a bag as {@code z_c = sum_i softmax_i(a_ic) * h_i}. Per class we keep the
 * running maximum {@code m_c}, {@code S_c = sum_i exp(a_ic - m_c)} and {@code Z_c = sum_i exp(a_ic
 * - m_c) * h_i}; when a new maximum arrives both sums are rescaled by {@code exp(m_old - m_new)}.
 * Then {@code z_c = Z_c / S_c} equals the batch softmax pooling on the same instances, in any
 * arrival order, up to floating-point rounding: every exponent is {@code <= 0}, so nothing
 * overflows however many cells or however large the logits. Sums are kept in double so that 10^5+
 * cells lose no precision.
 *
 * <p>A Flink POJO: public fields and a no-arg constructor keep it out of Kryo.
 */
public class StreamingAttentionPool {
    public int classes;
    public int dim;
    public long count;

    /** Running max of attention logits, per class. */
    public double[] max;

    /** Sum of exp(a - max), per class. */
    public double[] weight;

    /** Sum of exp(a - max) * h, per class, row-major [classes][dim]. */
    public double[] weighted;

    public StreamingAttentionPool() {}

    public StreamingAttentionPool(int classes, int dim) {
        this.classes = classes;
        this.dim = dim;
        this.max = new double[classes];
        this.weight = new double[classes];
        this.weighted = new double[classes * dim];
        java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
    }

    /**
     * Adds one instance.
     *
     * @param attention one logit per class
     * @param value the instance's value vector (the embedding, in DinoBloom's MIL)
     */
    public void add(float[] attention, float[] value) {
        if (attention.length != classes || value.length != dim) {
            throw new IllegalArgumentException(
                    "expected "
                            + classes
                            + " logits and a "
                            + dim
                            + "-vector, got "
                            + attention.length
                            + " and "
                            + value.length);
        }
        for (int c = 0; c < classes; c++) {
            double a = attention[c];
            int row = c * dim;
            if (a <= max[c]) {
                double w = Math.exp(a - max[c]);
                weight[c] += w;
                for (int d = 0; d < dim; d++) {
                    weighted[row + d] += w * value[d];
                }
            } else {
                // New maximum: rescale what we have (exp(-inf) = 0 handles the first instance).
                double r = Math.exp(max[c] - a);
                weight[c] = weight[c] * r + 1.0;
                for (int d = 0; d < dim; d++) {
                    weighted[row + d] = weighted[row + d] * r + value[d];
                }
                max[c] = a;
            }
        }
        count++;
    }

    /** The pooled bag representation {@code z}, [classes][dim]; zeros while the bag is empty. */
    public double[][] pooled() {
        double[][] z = new double[classes][dim];
        if (count == 0) {
            return z;
        }
        for (int c = 0; c < classes; c++) {
            double inv = 1.0 / weight[c];
            for (int d = 0; d < dim; d++) {
                z[c][d] = weighted[c * dim + d] * inv;
            }
        }
        return z;
    }
}
