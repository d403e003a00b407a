package org.bloomstream.aggregation.mil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped MIL model (trained by models/train_mil.py) on ONNX Runtime: parity with PyTorch, and
 * the streaming decomposition (instance part per cell, exact pooling, bag head) against the full
 * model applied to the whole bag.
 */
class OnnxMilModelTest {

    static Path fixture() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("models/fixtures"))) {
            p = p.getParent();
        }
        return p.resolve("models/fixtures/mil-vit-tiny.json");
    }

    @Test
    void instanceAndHeadReproduceThePyTorchGolden() throws Exception {
        OnnxMilModel model = OnnxMilModel.load(fixture());
        JsonNode golden =
                new ObjectMapper()
                        .readTree(fixture().resolveSibling(model.manifest().golden()).toFile());
        int d = model.embeddingDim();
        float[][] bag = new float[37][d];
        for (int i = 0; i < 37; i++) {
            for (int j = 0; j < d; j++) {
                bag[i][j] = (float) Math.sin(0.37 * i + 0.11 * j);
            }
        }
        try (MilModel.Runtime rt = model.open()) {
            StreamingAttentionPool pool = new StreamingAttentionPool(model.classes().size(), d);
            for (int i = 0; i < 37; i++) {
                float[] a = rt.attention(bag[i]);
                for (int c = 0; c < a.length; c++) {
                    assertClose(a[c], golden.get("attention").get(i).get(c).asDouble());
                }
                pool.add(a, bag[i]);
            }
            double[] logits = rt.logits(pool.pooled());
            for (int c = 0; c < logits.length; c++) {
                assertClose(logits[c], golden.get("logits").get(c).asDouble());
            }

            // One call for a micro-batch (what the job's mil-instance stage makes): the same
            // PyTorch golden, for the first n of a larger array too.
            float[][] batched = rt.attention(bag, 37);
            float[][] firstFive = rt.attention(bag, 5);
            assertThat(batched).hasNumberOfRows(37);
            assertThat(firstFive).hasNumberOfRows(5);
            for (int i = 0; i < 37; i++) {
                for (int c = 0; c < batched[i].length; c++) {
                    double expected = golden.get("attention").get(i).get(c).asDouble();
                    assertClose(batched[i][c], expected);
                    if (i < 5) {
                        assertClose(firstFive[i][c], expected);
                    }
                }
            }
        }
    }

    /** float32 through two runtimes: 1e-6 relative (attention logits reach the hundreds). */
    static void assertClose(double actual, double expected) {
        assertThat(Math.abs(actual - expected))
                .as("%s vs %s", actual, expected)
                .isLessThanOrEqualTo(1e-6 * Math.max(1, Math.abs(expected)));
    }

    /**
     * Streaming equals batch MIL, in any arrival order, with no overflow, on 10^5 cells: the same
     * cells fed in shuffled orders and in ascending attention order (a new maximum, so a rescale,
     * at every cell) give the logits of pooling the whole bag at once, to 1e-5 relative error. The
     * batch reference pools in double precision with the model's own attention and head; the full
     * ONNX graph is compared too, on a SCEMILA-sized bag, where its float32 pooling is itself
     * accurate to 1e-5.
     */
    @Test
    void streamingEqualsBatchMilInAnyOrderOnHundredThousandCells() throws Exception {
        OnnxMilModel model = OnnxMilModel.load(fixture());
        int d = model.embeddingDim();
        int c = model.classes().size();
        Random r = new Random(5);
        int n = 100_000;
        float[][] bag = new float[n][d];
        for (float[] cell : bag) {
            for (int j = 0; j < d; j++) {
                cell[j] = (float) (r.nextGaussian() * 1.5);
            }
        }
        try (MilModel.Runtime rt = model.open()) {
            float[][] attention = new float[n][];
            for (int i = 0; i < n; i++) {
                attention[i] = rt.attention(bag[i]);
            }
            double[] batch = rt.logits(batchPool(attention, bag, c, d));

            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                order.add(i);
            }
            List<List<Integer>> orders = new ArrayList<>();
            for (int k = 0; k < 3; k++) {
                Collections.shuffle(order, r);
                orders.add(new ArrayList<>(order));
            }
            List<Integer> ascending = new ArrayList<>(order);
            ascending.sort(Comparator.comparingDouble(i -> attention[i][0]));
            orders.add(ascending);

            for (List<Integer> o : orders) {
                StreamingAttentionPool pool = new StreamingAttentionPool(c, d);
                for (int i : o) {
                    pool.add(attention[i], bag[i]);
                }
                double[] streamed = rt.logits(pool.pooled());
                assertThat(relativeError(streamed, batch)).isLessThan(1e-5);
                for (double v : streamed) {
                    assertThat(Double.isFinite(v)).isTrue();
                }
            }

            // Against the full graph (float32 inside) on a SCEMILA-sized bag.
            float[][] small = java.util.Arrays.copyOf(bag, 540);
            StreamingAttentionPool pool = new StreamingAttentionPool(c, d);
            for (int i = 539; i >= 0; i--) {
                pool.add(attention[i], small[i]);
            }
            double[] full = model.fullModelLogits(fixture(), small);
            double err = relativeError(rt.logits(pool.pooled()), full);
            System.out.printf(
                    Locale.ROOT, "streaming vs full ONNX, 540 cells: rel. error %.2e%n", err);
            assertThat(err).isLessThan(1e-5);
        }
    }

    static double[][] batchPool(float[][] a, float[][] h, int c, int d) {
        double[][] z = new double[c][d];
        for (int k = 0; k < c; k++) {
            double max = Double.NEGATIVE_INFINITY;
            for (float[] ai : a) {
                max = Math.max(max, ai[k]);
            }
            double sum = 0;
            for (float[] ai : a) {
                sum += Math.exp(ai[k] - max);
            }
            for (int i = 0; i < a.length; i++) {
                double w = Math.exp(a[i][k] - max) / sum;
                for (int j = 0; j < d; j++) {
                    z[k][j] += w * h[i][j];
                }
            }
        }
        return z;
    }

    static double relativeError(double[] x, double[] ref) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < x.length; i++) {
            num = Math.max(num, Math.abs(x[i] - ref[i]));
            den = Math.max(den, Math.abs(ref[i]));
        }
        return num / Math.max(den, 1e-12);
    }

    @Test
    void aMilModelForAnotherEmbedderIsRefused() throws Exception {
        OnnxMilModel model = OnnxMilModel.load(fixture());
        assertThat(model.embeddingModelId()).isEqualTo("vit_tiny-random-seed0");
        assertThatThrownBy(() -> model.checkCompatible("vit_s14-random-seed0", 384))
                .hasMessageContaining("vit_tiny-random-seed0")
                .hasMessageContaining("vit_s14-random-seed0");
    }

    @Test
    void brokenManifestsAreClearErrors(@TempDir Path dir) throws Exception {
        String json = Files.readString(fixture());
        Path m = dir.resolve("m.json");
        Files.writeString(m, json);
        assertThatThrownBy(() -> OnnxMilModel.load(m)).hasMessageContaining("missing");
        Files.writeString(m, json.replace("bloomstream-mil/1", "other/2"));
        assertThatThrownBy(() -> OnnxMilModel.load(m)).hasMessageContaining("format");
        assertThatThrownBy(() -> OnnxMilModel.load(dir.resolve("none.json")))
                .hasMessageContaining("not found");
    }
}
