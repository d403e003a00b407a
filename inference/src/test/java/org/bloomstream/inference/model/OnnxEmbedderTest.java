package org.bloomstream.inference.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bloomstream.inference.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxEmbedderTest {

    /**
     * ONNX Runtime in Java against PyTorch on the exporter's reference inputs. 1e-4 absolute: the
     * fixture's outputs are O(1) (LayerNorm), and float32 reassociation between two runtimes over
     * two transformer blocks stays around 1e-6; anything near 1e-4 means a different graph.
     */
    @Test
    void matchesTheExportersPyTorchReferenceWithin1e4() throws Exception {
        Path onnx = Fixtures.tinyVit();
        JsonNode golden =
                new ObjectMapper().readTree(onnx.resolveSibling("vit-tiny.golden.json").toFile());
        int n = golden.get("embeddings").size();
        int s = 224;
        FloatBuffer x =
                ByteBuffer.allocateDirect(n * 3 * s * s * 4)
                        .order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
        for (int k = 0; k < n; k++) {
            for (int c = 0; c < 3; c++) {
                for (int h = 0; h < s; h++) {
                    for (int w = 0; w < s; w++) {
                        x.put((float) (Math.sin(0.01 * (h * 224 + w) + 0.7 * c + 1.3 * k) * 2.0));
                    }
                }
            }
        }
        x.flip();
        try (OnnxEmbedder e = OnnxEmbedder.open(onnx, ExecutionConfig.DEFAULT)) {
            assertThat(e.modelId()).isEqualTo(golden.get("modelId").asText());
            float[][] out = e.embedTensor(x, n);
            double worst = 0;
            for (int k = 0; k < n; k++) {
                JsonNode ref = golden.get("embeddings").get(k);
                assertThat(out[k]).hasSize(ref.size());
                for (int d = 0; d < ref.size(); d++) {
                    worst = Math.max(worst, Math.abs(out[k][d] - ref.get(d).asDouble()));
                }
            }
            assertThat(worst).isLessThan(1e-4);
        }
    }

    @Test
    void embedsPackedCropsInBatchesOfAnySize() throws Exception {
        try (OnnxEmbedder e = OnnxEmbedder.open(Fixtures.tinyVit(), ExecutionConfig.cpu(1))) {
            assertThat(e.dim()).isEqualTo(64);
            assertThat(e.provider()).isEqualTo("cpu");
            byte[][] crops = new byte[5][224 * 224 * 3];
            for (int i = 0; i < crops.length; i++) {
                java.util.Arrays.fill(crops[i], (byte) (40 * i));
            }
            float[][] batch = e.embed(crops, 5);
            float[][] single = e.embed(new byte[][] {crops[3]}, 1);
            assertThat(batch).hasNumberOfRows(5);
            // The same crop gives the same vector whatever else is in its batch.
            for (int d = 0; d < 64; d++) {
                assertThat(batch[3][d])
                        .isCloseTo(single[0][d], org.assertj.core.data.Offset.offset(1e-4f));
            }
            assertThat(batch[0]).isNotEqualTo(batch[4]);
            assertThatThrownBy(() -> e.embed(new byte[][] {new byte[10]}, 1))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aModelWithoutManifestIsAClearError(@TempDir Path dir) throws Exception {
        Path copy = dir.resolve("x.onnx");
        Files.copy(Fixtures.tinyVit(), copy);
        assertThatThrownBy(() -> OnnxEmbedder.open(copy, ExecutionConfig.DEFAULT))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("x.json");
        assertThatThrownBy(
                        () ->
                                OnnxEmbedder.open(
                                        dir.resolve("missing.onnx"), ExecutionConfig.DEFAULT))
                .hasMessageContaining("not found");
    }

    @Test
    void aManifestThatContradictsItselfIsRejected(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("m.json");
        String good = Files.readString(EmbedderManifest.manifestPathFor(Fixtures.tinyVit()));
        Files.writeString(json, good.replace("\"float32\"", "\"uint8\""));
        assertThatThrownBy(() -> EmbedderManifest.read(json)).hasMessageContaining("uint8");
        Files.writeString(json, good.replace("bloomstream-embedder/1", "something/9"));
        assertThatThrownBy(() -> EmbedderManifest.read(json)).hasMessageContaining("format");
    }

    @Test
    void aMissingGpuProviderFallsBackToCpuWhenAllowed() throws Exception {
        try (OnnxEmbedder e =
                OnnxEmbedder.open(Fixtures.tinyVit(), ExecutionConfig.cuda(0, true))) {
            assertThat(e.provider()).isEqualTo("cpu (fallback from cuda)");
            assertThat(e.embed(new byte[][] {new byte[224 * 224 * 3]}, 1)[0]).hasSize(64);
        }
        ExecutionConfig trt = ExecutionConfig.tensorRt(0, true, "/tmp/trt-cache", 1, 16, 64, true);
        try (OnnxEmbedder e = OnnxEmbedder.open(Fixtures.tinyVit(), trt)) {
            assertThat(e.provider()).isEqualTo("cpu (fallback from tensorrt)");
        }
    }

    @Test
    void aMissingGpuProviderFailsFastWithTheReasonWhenFallbackIsOff() {
        assertThatThrownBy(
                        () -> OnnxEmbedder.open(Fixtures.tinyVit(), ExecutionConfig.cuda(0, false)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("CUDA execution provider is not available")
                .hasMessageContaining("onnxruntime_gpu")
                .hasMessageContaining("--provider-fallback cpu");
        ExecutionConfig trt = ExecutionConfig.tensorRt(0, false, null, 1, 8, 32, false);
        assertThatThrownBy(() -> OnnxEmbedder.open(Fixtures.tinyVit(), trt))
                .hasMessageContaining("TensorRT execution provider is not available");
    }

    @Test
    void tensorRtProfilesAreValidatedAndSpelledForOrt() {
        ExecutionConfig trt = ExecutionConfig.tensorRt(1, true, null, 1, 8, 32, false);
        assertThat(trt.profileShape("pixels", 8, 224)).isEqualTo("pixels:8x3x224x224");
        assertThatThrownBy(() -> ExecutionConfig.tensorRt(0, true, null, 8, 4, 32, false))
                .hasMessageContaining("1 <= min <= opt <= max");
    }

    @Test
    void aManifestThatDoesNotMatchTheGraphIsAClearError(@TempDir Path dir) throws Exception {
        Path onnx = dir.resolve("m.onnx");
        Files.copy(Fixtures.tinyVit(), onnx);
        String manifest = Files.readString(EmbedderManifest.manifestPathFor(Fixtures.tinyVit()));
        Path json = dir.resolve("m.json");

        Files.writeString(json, manifest.replace("\"embeddingDim\": 64", "\"embeddingDim\": 384"));
        assertThatThrownBy(() -> OnnxEmbedder.open(onnx, ExecutionConfig.DEFAULT))
                .hasMessageContaining("m.onnx vs its manifest")
                .hasMessageContaining("384");

        Files.writeString(json, manifest.replace("\"name\": \"pixels\"", "\"name\": \"image\""));
        assertThatThrownBy(() -> OnnxEmbedder.open(onnx, ExecutionConfig.DEFAULT))
                .hasMessageContaining("graph input is 'pixels', manifest says 'image'");

        Files.writeString(json, manifest.replace("\"imageSize\": 224", "\"imageSize\": 256"));
        assertThatThrownBy(() -> OnnxEmbedder.open(onnx, ExecutionConfig.DEFAULT))
                .hasMessageContaining("m.onnx vs its manifest")
                .hasMessageContaining("256");

        Files.writeString(json, manifest.replace("vit_tiny-random-seed0", "vit_s14-abcdef"));
        assertThatThrownBy(() -> OnnxEmbedder.open(onnx, ExecutionConfig.DEFAULT))
                .hasMessageContaining(
                        "the graph is model 'vit_tiny-random-seed0', the manifest describes 'vit_s14-abcdef'");
    }
}
