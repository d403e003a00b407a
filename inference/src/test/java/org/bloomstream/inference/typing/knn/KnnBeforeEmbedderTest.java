package org.bloomstream.inference.typing.knn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.bloomstream.inference.Fixtures;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.model.OnnxEmbedder;
import org.junit.jupiter.api.Test;

/**
 * The kNN search and the embedder share the process's one ONNX Runtime environment, and DJL (which
 * serves the embedder) can only start if it creates that environment itself. In a task manager the
 * cell-type operator may open before the embedder (Flink opens a chain from its tail), so opening
 * the kNN search first must not break the embedder. Checked in a fresh JVM: in this test JVM
 * another test has almost always started DJL already.
 */
class KnnBeforeEmbedderTest {

    /** Opens the kNN search, then the embedder, in this order; exits 0 when both work. */
    public static void main(String[] args) throws Exception {
        float[] bank = {1, 0, 0, 1};
        try (OnnxSimilarityIndex index =
                OnnxSimilarityIndex.open(bank, 2, 1, ExecutionConfig.cpu(1))) {
            index.search(new float[][] {{1, 0}}, 1);
            try (OnnxEmbedder e = OnnxEmbedder.open(Path.of(args[0]), ExecutionConfig.cpu(1))) {
                int s = e.imageSize();
                e.embed(new byte[][] {new byte[s * s * 3]}, 1);
            }
        }
        System.out.println("both opened");
    }

    @Test
    void theEmbedderStartsAfterTheKnnSearchOpenedFirst() throws Exception {
        Process p =
                new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-Dai.djl.offline=true",
                                "-cp",
                                System.getProperty("java.class.path"),
                                KnnBeforeEmbedderTest.class.getName(),
                                Fixtures.tinyVit().toString())
                        .redirectErrorStream(true)
                        .start();
        p.getOutputStream().close();
        byte[] output = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        String text = new String(output, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(text).isZero();
        assertThat(text).contains("both opened");
    }
}
