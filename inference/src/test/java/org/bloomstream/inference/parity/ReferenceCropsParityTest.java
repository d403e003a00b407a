package org.bloomstream.inference.parity;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;
import org.bloomstream.inference.Fixtures;
import org.bloomstream.inference.image.AntialiasedResize;
import org.bloomstream.inference.image.CropImageDecoder;
import org.bloomstream.inference.image.ImageLimits;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.model.OnnxEmbedder;
import org.junit.jupiter.api.Test;

/**
 * Golden parity on real files: the exporter wrote PNG and JPEG crops of several sizes with their
 * PyTorch embeddings after the reference preprocessing (PIL RGB, BILINEAR resize to 224, ImageNet
 * normalisation). The Java path (ImageIO decode, {@link AntialiasedResize}, normalise while
 * packing, ONNX Runtime) must reproduce them.
 *
 * <p>Measured on the fixture ViT: every resized image is byte-identical to Pillow's (PNG is
 * lossless; for these baseline JPEGs the JDK's IJG-based decoder and Pillow's libjpeg-turbo agree
 * exactly), and the worst embedding difference is 8.9e-7, float32 arithmetic in ONNX Runtime vs
 * PyTorch. Asserted: identical pixels and 1e-4, the bound of the exporter's ONNX-vs-PyTorch test.
 * Embeddings are LayerNorm outputs of order 1, and any real preprocessing mismatch (another filter,
 * no antialiasing, BGR order, missing normalisation) moves them by 0.1 or more. Other encodings
 * (progressive, 4:2:2 and 4:2:0, CMYK, 16-bit, alpha, TIFF variants) and the real data sets are
 * covered by {@code PillowDifferentialTest}, which finds them byte-identical too.
 */
class ReferenceCropsParityTest {
    static final double TOLERANCE = 1e-4;

    @Test
    void javaPreprocessingAndOnnxRuntimeReproduceThePyTorchReference() throws Exception {
        Path onnx = Fixtures.tinyVit();
        Path dir = onnx.resolveSibling("vit-tiny.crops");
        JsonNode ref =
                new ObjectMapper().readTree(onnx.resolveSibling("vit-tiny.crops.json").toFile());
        CropImageDecoder decoder = new CropImageDecoder(ImageLimits.DEFAULT);
        double worstPng = 0;
        double worstJpeg = 0;
        int pngs = 0;
        int jpegs = 0;
        try (OnnxEmbedder embedder = OnnxEmbedder.open(onnx, ExecutionConfig.DEFAULT)) {
            assertThat(ref.get("modelId").asText()).isEqualTo(embedder.modelId());
            for (JsonNode crop : ref.get("crops")) {
                String file = crop.get("file").asText();
                byte[] rgb =
                        AntialiasedResize.resizeToRgb(
                                decoder.decode(Files.readAllBytes(dir.resolve(file))), 224, 224);
                boolean samePixels =
                        HexFormat.of()
                                .formatHex(MessageDigest.getInstance("SHA-256").digest(rgb))
                                .equals(crop.get("resizedSha256").asText());
                float[] e = embedder.embed(new byte[][] {rgb}, 1)[0];
                double diff = 0;
                for (int d = 0; d < e.length; d++) {
                    diff = Math.max(diff, Math.abs(e[d] - crop.get("embedding").get(d).asDouble()));
                }
                System.out.printf(
                        Locale.ROOT,
                        "%-24s same resized pixels: %-5s max |embedding diff| %.2e%n",
                        file,
                        samePixels,
                        diff);
                if (file.endsWith(".png")) {
                    pngs++;
                    assertThat(samePixels)
                            .as(file + ": decode+resize must equal Pillow's")
                            .isTrue();
                    worstPng = Math.max(worstPng, diff);
                } else {
                    jpegs++;
                    worstJpeg = Math.max(worstJpeg, diff);
                }
            }
        }
        System.out.printf(Locale.ROOT, "worst PNG %.2e, worst JPEG %.2e%n", worstPng, worstJpeg);
        assertThat(pngs).isGreaterThanOrEqualTo(2);
        assertThat(jpegs).isGreaterThanOrEqualTo(2);
        assertThat(worstPng).isLessThan(TOLERANCE);
        assertThat(worstJpeg).isLessThan(TOLERANCE);
    }
}
