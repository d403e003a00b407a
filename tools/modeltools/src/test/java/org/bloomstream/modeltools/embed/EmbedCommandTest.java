package org.bloomstream.modeltools.embed;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.bloomstream.inference.image.AntialiasedResize;
import org.bloomstream.inference.image.CropImageDecoder;
import org.bloomstream.inference.image.ImageLimits;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.model.OnnxEmbedder;
import org.bloomstream.modeltools.dataset.CropDataset;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbedCommandTest {
    static Path home() {
        return Path.of(System.getProperty("bloomstream.home", "..")).toAbsolutePath().normalize();
    }

    static Path fixture() {
        return home().resolve("models/fixtures/vit-tiny.onnx");
    }

    static Path shared(String name) {
        Path d = home().resolve("../shared/data").resolve(name).normalize();
        return Files.isDirectory(d) ? d : null;
    }

    static EmbedRun.Result embed(Path dir, Path out) throws Exception {
        return new EmbedRun(
                        new EmbedRun.Options(dir, out, fixture(), ExecutionConfig.cpu(1), 32, 2),
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                .run();
    }

    @Test
    void writesEveryJtscCropReadableAsNumpyWithItsRow(@TempDir Path tmp) throws Exception {
        Path jtsc = shared("wbc-jtsc");
        Assumptions.assumeTrue(jtsc != null, "../shared/data/wbc-jtsc is absent: skipping");
        Path out = tmp.resolve("jtsc");
        EmbedRun.Result r = embed(jtsc, out);
        assertThat(r.embedded()).isEqualTo(300);
        assertThat(r.failed()).isZero();

        // NumPy's format, byte for byte in the header: what numpy.load expects.
        byte[] npy = Files.readAllBytes(out.resolveSibling("jtsc.npy"));
        assertThat(npy[0] & 0xff).isEqualTo(0x93);
        int headerLen = ByteBuffer.wrap(npy, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort();
        String header = new String(npy, 10, headerLen, StandardCharsets.US_ASCII);
        assertThat(header)
                .startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (300, 64), }");
        assertThat((10 + headerLen) % 64).isZero();
        assertThat(npy.length).isEqualTo(10 + headerLen + 300 * 64 * 4);

        EmbeddingsFile.Contents c = EmbeddingsFile.read(out);
        assertThat(c.modelId()).isEqualTo("vit_tiny-random-seed0");
        assertThat(c.rows()).hasSize(300);
        assertThat(c.rows().get(0).path()).isEqualTo("images/001.bmp");
        assertThat(c.rows().get(0).label()).isEqualTo("lymphocyte");

        // Row i is crop i: the vector equals a direct embedding of that file.
        CropDataset.Entry e = CropDataset.open(jtsc).entries().get(17);
        try (OnnxEmbedder m = OnnxEmbedder.open(fixture(), ExecutionConfig.cpu(1))) {
            byte[] rgb =
                    AntialiasedResize.resizeToRgb(
                            new CropImageDecoder(ImageLimits.DEFAULT)
                                    .decode(Files.readAllBytes(e.path())),
                            224,
                            224);
            float[] direct = m.embed(new byte[][] {rgb}, 1)[0];
            assertThat(c.rows().get(17).path()).isEqualTo(e.relative());
            for (int d = 0; d < 64; d++) {
                assertThat(c.vectors()[17][d])
                        .isCloseTo(direct[d], org.assertj.core.data.Offset.offset(1e-4f));
            }
        }
    }

    @Test
    void undecodableCropsAreListedWithTheirReasonNotSkipped(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("crops");
        Files.createDirectories(dir);
        ImageIO.write(
                new BufferedImage(30, 30, BufferedImage.TYPE_INT_RGB),
                "png",
                dir.resolve("good.png").toFile());
        Files.writeString(dir.resolve("broken.png"), "not a png");
        Path out = tmp.resolve("out/emb");
        EmbedRun.Result r = embed(dir, out);
        assertThat(r.embedded()).isEqualTo(1);
        assertThat(r.failed()).isEqualTo(1);
        List<String> errors = Files.readAllLines(EmbeddingsFile.errors(out));
        assertThat(errors.get(0)).isEqualTo("path,reason,detail");
        assertThat(errors.get(1)).startsWith("broken.png,UNDECODABLE_IMAGE,");
        assertThat(EmbeddingsFile.read(out).rows())
                .extracting(EmbeddingsFile.Row::path)
                .containsExactly("good.png");
    }
}
