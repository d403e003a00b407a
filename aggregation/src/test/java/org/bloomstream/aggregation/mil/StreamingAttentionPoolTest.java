package org.bloomstream.aggregation.mil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The streaming pool must equal batch attention pooling, in any order, without overflow. */
class StreamingAttentionPoolTest {

    /** Batch multi-attention pooling, the reference: per class softmax over all instances. */
    static double[][] batchPool(List<float[]> attention, List<float[]> values) {
        int classes = attention.get(0).length;
        int dim = values.get(0).length;
        double[][] z = new double[classes][dim];
        for (int c = 0; c < classes; c++) {
            double max = Double.NEGATIVE_INFINITY;
            for (float[] a : attention) {
                max = Math.max(max, a[c]);
            }
            double sum = 0;
            double[] w = new double[attention.size()];
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.exp(attention.get(i)[c] - max);
                sum += w[i];
            }
            for (int i = 0; i < w.length; i++) {
                for (int d = 0; d < dim; d++) {
                    z[c][d] += w[i] / sum * values.get(i)[d];
                }
            }
        }
        return z;
    }

    static double maxRelativeError(double[][] actual, double[][] expected) {
        double worst = 0;
        for (int c = 0; c < expected.length; c++) {
            double norm = 0;
            for (double v : expected[c]) {
                norm = Math.max(norm, Math.abs(v));
            }
            for (int d = 0; d < expected[c].length; d++) {
                worst =
                        Math.max(
                                worst,
                                Math.abs(actual[c][d] - expected[c][d]) / Math.max(norm, 1e-30));
            }
        }
        return worst;
    }

    private static List<float[]> random(Random r, int n, int dim, double scale) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] v = new float[dim];
            for (int d = 0; d < dim; d++) {
                v[d] = (float) (r.nextGaussian() * scale);
            }
            out.add(v);
        }
        return out;
    }

    private static double[][] stream(
            List<float[]> attention, List<float[]> values, List<Integer> order) {
        StreamingAttentionPool pool =
                new StreamingAttentionPool(attention.get(0).length, values.get(0).length);
        for (int i : order) {
            pool.add(attention.get(i), values.get(i));
        }
        assertThat(pool.count).isEqualTo(order.size());
        return pool.pooled();
    }

    @Test
    void equalsBatchPoolingInAnyArrivalOrder() {
        Random r = new Random(7);
        int n = 540; // a SCEMILA-sized bag
        List<float[]> a = random(r, n, 5, 3.0);
        List<float[]> h = random(r, n, 64, 1.0);
        double[][] expected = batchPool(a, h);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        for (int trial = 0; trial < 10; trial++) {
            Collections.shuffle(order, r);
            assertThat(maxRelativeError(stream(a, h, order), expected)).isLessThan(1e-5);
        }
    }

    @Test
    void rescalesWhenEveryNewCellIsANewMaximum() {
        // Ascending logits: each add takes the rescale branch; descending: none does.
        int n = 300;
        List<float[]> a = new ArrayList<>();
        List<float[]> h = random(new Random(3), n, 8, 1.0);
        for (int i = 0; i < n; i++) {
            a.add(new float[] {i * 0.05f, -i * 0.05f});
        }
        double[][] expected = batchPool(a, h);
        List<Integer> ascending = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ascending.add(i);
        }
        List<Integer> descending = new ArrayList<>(ascending);
        Collections.reverse(descending);
        assertThat(maxRelativeError(stream(a, h, ascending), expected)).isLessThan(1e-5);
        assertThat(maxRelativeError(stream(a, h, descending), expected)).isLessThan(1e-5);
    }

    @Test
    void logitsThatOverflowANaiveSoftmaxStayFinite() {
        // exp(1000) overflows a double; the running max keeps every exponent <= 0.
        List<float[]> a = List.of(new float[] {1000f}, new float[] {999f}, new float[] {-1000f});
        List<float[]> h = List.of(new float[] {1f, 0f}, new float[] {0f, 1f}, new float[] {5f, 5f});
        double[][] z = stream(a, h, List.of(2, 0, 1));
        double e = Math.exp(-1);
        assertThat(z[0][0]).isCloseTo(1 / (1 + e), org.assertj.core.data.Offset.offset(1e-12));
        assertThat(z[0][1]).isCloseTo(e / (1 + e), org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void hundredThousandCellsInOneBag() {
        Random r = new Random(11);
        int n = 100_000;
        List<float[]> a = random(r, n, 5, 10.0);
        List<float[]> h = random(r, n, 32, 1.0);
        double[][] expected = batchPool(a, h);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, r);
        double[][] z = stream(a, h, order);
        for (double[] row : z) {
            for (double v : row) {
                assertThat(Double.isFinite(v)).isTrue();
            }
        }
        assertThat(maxRelativeError(z, expected)).isLessThan(1e-5);
    }

    @Test
    void stateSizeDoesNotGrowWithTheBag() {
        StreamingAttentionPool pool = new StreamingAttentionPool(5, 16);
        Random r = new Random(1);
        for (int i = 0; i < 10_000; i++) {
            pool.add(random(r, 1, 5, 1).get(0), random(r, 1, 16, 1).get(0));
        }
        assertThat(pool.max).hasSize(5);
        assertThat(pool.weight).hasSize(5);
        assertThat(pool.weighted).hasSize(5 * 16);
    }

    @Test
    void rejectsMisShapedInstances() {
        StreamingAttentionPool pool = new StreamingAttentionPool(2, 3);
        assertThatThrownBy(() -> pool.add(new float[1], new float[3]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pool.add(new float[2], new float[4]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(pool.pooled()[0]).containsOnly(0.0);
    }
}
