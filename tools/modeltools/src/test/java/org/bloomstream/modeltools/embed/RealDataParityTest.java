package org.bloomstream.modeltools.embed;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bloomstream.inference.model.ExecutionConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real data end to end: for every data set under {@code ../shared/data}, {@code bloomstream embed}
 * (its {@link EmbedRun}: the pipeline's decoder, resize and ONNX Runtime) writes an embedding for
 * every image, and each equals the PyTorch reference ({@code models/embed_reference.py}: Pillow
 * preprocessing and the {@code models/} ViT built as the fixture was exported) within 1e-4.
 *
 * <p>Covers what the crafted corpus cannot: the real encoders of four public sets (two JPEG
 * encoders with 4:4:4 and 4:2:0, 24-bit BMP, 400x400 RGBA TIFF with transparent rows in {@code
 * NGB/BNE_0082.tiff}). Needs Debian's python3-torch and python3-pil; skipped without them unless
 * {@code BLOOMSTREAM_REQUIRE_PYTHON=1}.
 */
class RealDataParityTest {
    static final double TOLERANCE = 1e-4;
    private static final String PYTHON = "/usr/bin/python3";

    @Test
    void everyCropOfEverySetIsEmbeddedAsThePyTorchReferenceEmbedsIt(@TempDir Path tmp)
            throws Exception {
        requireTorch();
        Path data = EmbedCommandTest.home().resolve("../shared/data").normalize();
        List<Path> sets = new ArrayList<>();
        if (Files.isDirectory(data)) {
            try (Stream<Path> s = Files.list(data)) {
                s.filter(d -> Files.isDirectory(d.resolve("images"))).sorted().forEach(sets::add);
            }
        }
        if (sets.isEmpty()) {
            if ("1".equals(System.getenv("BLOOMSTREAM_REQUIRE_PYTHON"))) {
                throw new AssertionError("no data sets under " + data);
            }
            Assumptions.abort("SKIPPED: no data sets under " + data);
        }
        // Java first, set by set; then one PyTorch process for every file (torch starts slowly).
        List<String> names = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        List<EmbedRun.Result> results = new ArrayList<>();
        List<EmbeddingsFile.Contents> javas = new ArrayList<>();
        List<String> files = new ArrayList<>();
        for (Path set : sets) {
            String name = set.getFileName().toString();
            try (Stream<Path> s = Files.walk(set.resolve("images"))) {
                counts.add(s.filter(Files::isRegularFile).count());
            }
            Path out = tmp.resolve(name);
            results.add(
                    new EmbedRun(
                                    new EmbedRun.Options(
                                            set,
                                            out,
                                            EmbedCommandTest.fixture(),
                                            ExecutionConfig.cpu(1),
                                            32,
                                            2),
                                    new PrintStream(
                                            new ByteArrayOutputStream(),
                                            true,
                                            StandardCharsets.UTF_8))
                            .run());
            EmbeddingsFile.Contents java = EmbeddingsFile.read(out);
            javas.add(java);
            names.add(name);
            java.rows().forEach(row -> files.add(set.resolve(row.path()).toString()));
        }
        Path list = tmp.resolve("files.txt");
        Files.write(list, files);
        Path ref = tmp.resolve("reference.npy");
        exec(
                List.of(
                        PYTHON,
                        EmbedCommandTest.home().resolve("models/embed_reference.py").toString(),
                        "--arch",
                        "vit_tiny",
                        "--seed",
                        "0",
                        "--list",
                        list.toString(),
                        "--out",
                        ref.toString()));
        float[][] torch = EmbeddingsFile.readNpy(ref);
        assertThat(torch.length).isEqualTo(files.size());
        List<String> failures = new ArrayList<>();
        int base = 0;
        for (int k = 0; k < names.size(); k++) {
            EmbeddingsFile.Contents java = javas.get(k);
            EmbedRun.Result r = results.get(k);
            long images = counts.get(k);
            double worst = 0;
            String worstFile = "";
            for (int i = 0; i < java.vectors().length; i++) {
                for (int d = 0; d < java.vectors()[i].length; d++) {
                    double diff = Math.abs(torch[base + i][d] - java.vectors()[i][d]);
                    if (diff > worst) {
                        worst = diff;
                        worstFile = java.rows().get(i).path();
                    }
                }
            }
            base += java.vectors().length;
            System.out.printf(
                    Locale.ROOT,
                    "%-24s images %4d, embedded %4d, failed %d, max |Java - PyTorch| %.2e (%s)%n",
                    names.get(k),
                    images,
                    r.embedded(),
                    r.failed(),
                    worst,
                    worstFile);
            if (r.embedded() != images || r.failed() != 0) {
                failures.add(names.get(k) + ": " + r.embedded() + " of " + images + " embedded");
            }
            if (!(worst < TOLERANCE)) {
                failures.add(names.get(k) + ": max diff " + worst + " at " + worstFile);
            }
        }
        assertThat(failures).isEmpty();
    }

    private static void requireTorch() throws Exception {
        boolean ok;
        try {
            Process p =
                    new ProcessBuilder(PYTHON, "-c", "import torch, PIL, numpy")
                            .redirectErrorStream(true)
                            .start();
            p.getInputStream().readAllBytes();
            ok = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            ok = false;
        }
        if (!ok) {
            String msg =
                    "torch and Pillow are not installed for "
                            + PYTHON
                            + "; run: apt-get install -y python3-torch python3-pil";
            if ("1".equals(System.getenv("BLOOMSTREAM_REQUIRE_PYTHON"))) {
                throw new AssertionError(msg);
            }
            Assumptions.abort("SKIPPED: " + msg);
        }
    }

    private static void exec(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
    }
}
