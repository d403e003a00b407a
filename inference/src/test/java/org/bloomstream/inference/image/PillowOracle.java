package org.bloomstream.inference.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.color.ColorSpace;
import java.awt.color.ICC_Profile;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;
import org.bloomstream.inference.Fixtures;
import org.junit.jupiter.api.Assumptions;

/**
 * Pillow, run as Debian's {@code /usr/bin/python3} with {@code python3-pil}, as the decoding oracle
 * ({@code inference/src/test/python/pillow_decoding.py}), and the crafted corpus of format variants
 * it writes. Without Pillow the tests that use it are skipped with the command that installs it,
 * unless {@code BLOOMSTREAM_REQUIRE_PYTHON=1} (set by {@code .ci/run}), where a missing Pillow is a
 * failure.
 */
final class PillowOracle {
    static final String PYTHON = "/usr/bin/python3";
    static final int SIZE = 224;
    static final String INSTALL = "apt-get install -y python3-pil python3-numpy";

    private PillowOracle() {}

    static Path script() {
        return Fixtures.repoRoot().resolve("inference/src/test/python/pillow_decoding.py");
    }

    /** Skips (or, where Python is required, fails) the calling test without Pillow. */
    static void requirePillow() throws Exception {
        boolean ok;
        try {
            Process p =
                    new ProcessBuilder(PYTHON, "-c", "import PIL, numpy")
                            .redirectErrorStream(true)
                            .start();
            p.getInputStream().readAllBytes();
            ok = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            ok = false;
        }
        if (!ok) {
            String msg = "Pillow is not installed for " + PYTHON + "; run: " + INSTALL;
            if ("1".equals(System.getenv("BLOOMSTREAM_REQUIRE_PYTHON"))) {
                throw new AssertionError(msg);
            }
            Assumptions.abort("SKIPPED: " + msg);
        }
    }

    /** The real data sets beside the repository ({@code ../shared/data/<set>/images}), by set. */
    static List<Path> dataSets() throws IOException {
        Path data = Fixtures.repoRoot().getParent().resolve("shared/data");
        List<Path> sets = new ArrayList<>();
        if (Files.isDirectory(data)) {
            try (Stream<Path> s = Files.list(data)) {
                s.filter(d -> Files.isDirectory(d.resolve("images"))).sorted().forEach(sets::add);
            }
        }
        return sets;
    }

    static List<Path> imagesOf(Path set) throws IOException {
        try (Stream<Path> s = Files.walk(set.resolve("images"))) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /**
     * Writes the crafted corpus into {@code dir}: a non-sRGB ICC profile for Pillow to embed, then
     * Pillow's and the script's own variants, then the JPEG variants only the JDK's writer makes.
     */
    static List<Path> corpus(Path dir) throws Exception {
        Files.createDirectories(dir);
        // A linear-RGB profile: if a decoder applied it, every pixel would move.
        Files.write(
                dir.resolve("profile.icc"),
                ICC_Profile.getInstance(ColorSpace.CS_LINEAR_RGB).getData());
        run(List.of(PYTHON, script().toString(), "corpus", dir.toString()));
        jdkJpegVariants(dir);
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().endsWith(".icc")).sorted().toList();
        }
    }

    /** One of Pillow's verdicts: its 224x224 RGB bytes, or why it refused the file. */
    record Verdict(byte[] rgb, String refusal) {}

    /** Pillow's verdict on each file, in order (streamed: one process for all files). */
    static void reference(List<Path> files, boolean pixels, VerdictSink sink) throws Exception {
        Path list = Files.createTempFile("pillow-list", ".txt");
        try {
            Files.write(list, files.stream().map(Path::toString).toList());
            Process p =
                    new ProcessBuilder(
                                    PYTHON,
                                    script().toString(),
                                    pixels ? "reference" : "verdicts",
                                    list.toString())
                            .redirectError(ProcessBuilder.Redirect.INHERIT)
                            .start();
            try (DataInputStream in = new DataInputStream(p.getInputStream())) {
                for (Path f : files) {
                    String line = readLine(in);
                    if (line.equals("OK")) {
                        byte[] rgb = null;
                        if (pixels) {
                            rgb = new byte[SIZE * SIZE * 3];
                            in.readFully(rgb);
                        }
                        sink.accept(f, new Verdict(rgb, null));
                    } else {
                        assertThat(line).startsWith("NO ");
                        sink.accept(f, new Verdict(null, line.substring(3)));
                    }
                }
            }
            assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
            assertThat(p.exitValue()).as("pillow_decoding.py exit status").isZero();
        } finally {
            Files.deleteIfExists(list);
        }
    }

    interface VerdictSink {
        void accept(Path file, Verdict verdict) throws Exception;
    }

    private static String readLine(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("pillow_decoding.py ended early");
            }
            line.write(c);
        }
        return line.toString(StandardCharsets.UTF_8);
    }

    private static void run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + out).isZero();
    }

    /**
     * JPEGs that Pillow 9.4 cannot write: restart markers (a DRI segment every two MCUs) and YCCK
     * (Adobe transform 2, re-encoding the CMYK crop that Pillow wrote). The JDK's own writer does
     * both from its metadata tree.
     */
    static void jdkJpegVariants(Path dir) throws Exception {
        ImageWriter writer = jdk(ImageIO.getImageWritersByFormatName("jpeg"));
        BufferedImage rgb = ImageIO.read(dir.resolve("png-rgb.png").toFile());
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.9f);
        IIOMetadata md =
                writer.getDefaultImageMetadata(new javax.imageio.ImageTypeSpecifier(rgb), param);
        String format = "javax_imageio_jpeg_image_1.0";
        IIOMetadataNode root = (IIOMetadataNode) md.getAsTree(format);
        IIOMetadataNode seq = (IIOMetadataNode) root.getElementsByTagName("markerSequence").item(0);
        IIOMetadataNode dri = new IIOMetadataNode("dri");
        dri.setAttribute("interval", "2");
        seq.insertBefore(dri, seq.getFirstChild());
        md.setFromTree(format, root);
        write(writer, dir.resolve("jpeg-restart-markers.jpg"), new IIOImage(rgb, null, md), param);

        ImageReader reader = jdk(ImageIO.getImageReadersByFormatName("jpeg"));
        try (ImageInputStream in =
                ImageIO.createImageInputStream(dir.resolve("jpeg-cmyk.jpg").toFile())) {
            reader.setInput(in);
            Raster cmyk = reader.readRaster(0, null);
            IIOMetadata m = reader.getImageMetadata(0);
            IIOMetadataNode r = (IIOMetadataNode) m.getAsTree(format);
            ((IIOMetadataNode) r.getElementsByTagName("app14Adobe").item(0))
                    .setAttribute("transform", "2");
            m.setFromTree(format, r);
            WritableRaster copy = cmyk.createCompatibleWritableRaster();
            copy.setRect(cmyk);
            write(
                    writer,
                    dir.resolve("jpeg-ycck.jpg"),
                    new IIOImage(copy, null, m),
                    writer.getDefaultWriteParam());
        } finally {
            reader.dispose();
            writer.dispose();
        }
    }

    private static void write(ImageWriter w, Path file, IIOImage image, ImageWriteParam p)
            throws IOException {
        try (ImageOutputStream o = ImageIO.createImageOutputStream(file.toFile())) {
            w.setOutput(o);
            w.write(null, image, p);
        }
    }

    /** The JDK's own plugin (TwelveMonkeys registers first and wraps it). */
    private static <T> T jdk(Iterator<T> it) {
        while (it.hasNext()) {
            T t = it.next();
            if (t.getClass().getName().startsWith("com.sun.imageio")) {
                return t;
            }
        }
        throw new IllegalStateException("no JDK JPEG plugin");
    }
}
