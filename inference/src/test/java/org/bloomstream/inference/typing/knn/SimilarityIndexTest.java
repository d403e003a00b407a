package org.bloomstream.inference.typing.knn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.typing.Vectors;
import org.junit.jupiter.api.Test;

/** The ONNX MatMul + TopK search against the plain-Java reference. */
class SimilarityIndexTest {

    static float[] bank(Random r, int rows, int dim) {
        float[] b = new float[rows * dim];
        for (int i = 0; i < rows; i++) {
            float[] v = new float[dim];
            for (int d = 0; d < dim; d++) {
                v[d] = (float) r.nextGaussian();
            }
            System.arraycopy(Vectors.unit(v), 0, b, i * dim, dim);
        }
        return b;
    }

    static float[][] queries(Random r, int n, int dim) {
        float[][] q = new float[n][dim];
        for (float[] v : q) {
            for (int d = 0; d < dim; d++) {
                v[d] = (float) r.nextGaussian();
            }
            System.arraycopy(Vectors.unit(v), 0, v, 0, dim);
        }
        return q;
    }

    @Test
    void onnxFindsTheSameNeighboursAsTheJavaReference() throws Exception {
        Random r = new Random(7);
        int dim = 48;
        float[] bank = bank(r, 3000, dim);
        float[][] q = queries(r, 37, dim);
        try (SimilarityIndex onnx =
                        OnnxSimilarityIndex.open(bank, dim, 20, ExecutionConfig.cpu(1));
                SimilarityIndex java = new ExactSimilarityIndex(bank, dim, 20)) {
            assertThat(onnx.engine()).isEqualTo("onnx:cpu");
            // Batches of different sizes through the same session (the batch axis is dynamic).
            for (int n : new int[] {37, 1, 16}) {
                TopK a = onnx.search(q, n);
                TopK b = java.search(q, n);
                assertThat(a.k()).isEqualTo(20);
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < 20; j++) {
                        assertThat(a.similarity(i, j)).isCloseTo(b.similarity(i, j), within(1e-5f));
                        // Gaussian data has no exact ties; indices agree wherever the gap to the
                        // next neighbour is above float noise.
                        boolean nearTie =
                                j + 1 < 20 && b.similarity(i, j) - b.similarity(i, j + 1) < 1e-5f
                                        || j > 0
                                                && b.similarity(i, j - 1) - b.similarity(i, j)
                                                        < 1e-5f;
                        if (!nearTie) {
                            assertThat(a.index(i, j)).isEqualTo(b.index(i, j));
                        }
                    }
                    for (int j = 1; j < 20; j++) {
                        assertThat(a.similarity(i, j)).isLessThanOrEqualTo(a.similarity(i, j - 1));
                    }
                }
            }
        }
    }

    @Test
    void aQueryEqualToABankRowFindsItFirst() throws Exception {
        Random r = new Random(8);
        int dim = 16;
        float[] bank = bank(r, 200, dim);
        float[][] q = new float[1][dim];
        System.arraycopy(bank, 123 * dim, q[0], 0, dim);
        try (SimilarityIndex onnx =
                OnnxSimilarityIndex.open(bank, dim, 3, ExecutionConfig.cpu(1))) {
            TopK t = onnx.search(q, 1);
            assertThat(t.index(0, 0)).isEqualTo(123);
            assertThat(t.similarity(0, 0)).isCloseTo(1f, within(1e-5f));
        }
    }

    @Test
    void kIsCappedAtTheBankSize() throws Exception {
        Random r = new Random(9);
        float[] bank = bank(r, 5, 8);
        float[][] q = queries(r, 2, 8);
        try (SimilarityIndex onnx = OnnxSimilarityIndex.open(bank, 8, 20, ExecutionConfig.cpu(1));
                SimilarityIndex java = new ExactSimilarityIndex(bank, 8, 20)) {
            assertThat(onnx.k()).isEqualTo(5);
            assertThat(java.k()).isEqualTo(5);
            assertThat(onnx.search(q, 2).index()).containsExactly(java.search(q, 2).index());
        }
    }
}
