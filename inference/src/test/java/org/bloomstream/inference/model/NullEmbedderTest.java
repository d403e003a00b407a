package org.bloomstream.inference.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Arrays;
import org.bloomstream.inference.Fixtures;
import org.junit.jupiter.api.Test;

class NullEmbedderTest {
    private static final ExecutionConfig NONE =
            new ExecutionConfig(ExecutionConfig.Provider.NONE, 1, 0, false, null, 1, 16, 64, false);

    @Test
    void keepsTheModelsIdentityAndWidthWithoutRunningIt() throws Exception {
        Path onnx = Fixtures.tinyVit();
        EmbedderManifest manifest = EmbedderManifest.forModel(onnx);
        try (Embedder e = EmbedderFactory.onnx(onnx, NONE).create()) {
            assertThat(e.provider()).isEqualTo("none");
            assertThat(e.modelId()).isEqualTo(manifest.modelId());
            assertThat(e.dim()).isEqualTo(manifest.embeddingDim());
            assertThat(e.imageSize()).isEqualTo(manifest.imageSize());

            int px = e.imageSize() * e.imageSize() * 3;
            byte[] dark = new byte[px];
            byte[] light = new byte[px];
            Arrays.fill(light, (byte) 200);
            float[][] out = e.embed(new byte[][] {dark, light, dark}, 2);
            assertThat(out).hasNumberOfRows(2);
            assertThat(out[0]).hasSize(e.dim()).containsOnly(-2f);
            assertThat(out[1]).containsOnly((200 - 128) / 64f);
        }
    }

    @Test
    void withResizeInGraphTakesCropsAtTheirDecodedSizeAsAGpuHostsModelWould() throws Exception {
        Path onnx = Fixtures.tinyVit();
        try (Embedder plain = EmbedderFactory.onnx(onnx, NONE, false).create();
                Embedder raw = EmbedderFactory.onnx(onnx, NONE, true).create()) {
            byte[] crop = new byte[320 * 300 * 3];
            Arrays.fill(crop, (byte) 200);
            assertThat(plain.resizesInGraph()).isFalse();
            assertThatThrownBy(() -> plain.pack(new byte[][] {crop}, 1, 320, 300))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("does not resize in its graph");

            assertThat(raw.resizesInGraph()).isTrue();
            float[][] out = raw.run(raw.pack(new byte[][] {crop}, 1, 320, 300));
            assertThat(out).hasNumberOfRows(1);
            assertThat(out[0]).hasSize(raw.dim()).containsOnly((200 - 128) / 64f);
        }
    }

    @Test
    void isNotAnOnnxSessionProvider() throws Exception {
        Path onnx = Fixtures.tinyVit();
        EmbedderManifest manifest = EmbedderManifest.forModel(onnx);
        assertThatThrownBy(
                        () -> {
                            try (var options = new ai.onnxruntime.OrtSession.SessionOptions()) {
                                ExecutionProviders.configure(options, NONE, manifest);
                            }
                        })
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("benchmarks");
    }
}
