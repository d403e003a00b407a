package org.bloomstream.devkit.synthetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.bloomstream.devkit.feed.CellKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CellRendererTest {

    static {
        // the renderer must work on build machines and in containers without a display
        System.setProperty("java.awt.headless", "true");
    }

    private static final int SEEDS = 20;

    @Test
    void sameArgumentsGiveIdenticalPixels() {
        for (CellKind kind : CellKind.values()) {
            for (long seed : new long[] {0, 1, 42, -7, Long.MAX_VALUE}) {
                int[] first = pixels(new CellRenderer(128).render(kind, seed));
                int[] second = pixels(new CellRenderer(128).render(kind, seed));
                assertThat(second).as("%s seed %d", kind, seed).isEqualTo(first);
            }
        }
    }

    @Test
    void differentSeedsGiveDifferentPixels() {
        CellRenderer renderer = new CellRenderer(128);
        for (CellKind kind : CellKind.values()) {
            int[] a = pixels(renderer.render(kind, 1));
            int[] b = pixels(renderer.render(kind, 2));
            assertThat(Arrays.equals(a, b)).as("%s seeds 1 and 2", kind).isFalse();
        }
        assertThat(pixels(renderer.render(CellKind.BLAST, 1)))
                .isNotEqualTo(pixels(renderer.render(CellKind.LYMPHOCYTE, 1)));
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 128, 224})
    void everyKindRendersAtTheRequestedSizeAsRgb(int size) {
        CellRenderer renderer = new CellRenderer(size);
        assertThat(renderer.size()).isEqualTo(size);
        for (CellKind kind : CellKind.values()) {
            BufferedImage image = renderer.render(kind, 3);
            assertThat(image.getWidth()).isEqualTo(size);
            assertThat(image.getHeight()).isEqualTo(size);
            assertThat(image.getType()).isEqualTo(BufferedImage.TYPE_INT_RGB);
        }
    }

    @Test
    void rejectsCropsSmallerThan32Pixels() {
        assertThatThrownBy(() -> new CellRenderer(31))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("31");
        assertThat(new CellRenderer(32).render(CellKind.MONOCYTE, 0).getWidth()).isEqualTo(32);
    }

    @Test
    void theCellIsNearTheCentreAndInsideTheCrop() {
        for (int size : new int[] {32, 64, 128, 224}) {
            CellRenderer renderer = new CellRenderer(size);
            for (CellKind kind : CellKind.values()) {
                for (long seed = 0; seed < 200; seed++) {
                    CellRenderer.Layout cell = renderer.layout(kind, seed);
                    String what = kind + " seed " + seed + " at " + size + " px: " + cell;
                    // centre within the central 40% of the crop
                    assertThat(cell.centreX()).as(what).isBetween(0.3 * size, 0.7 * size);
                    assertThat(cell.centreY()).as(what).isBetween(0.3 * size, 0.7 * size);
                    // the whole cell inside the crop
                    assertThat(cell.centreX() - cell.radius()).as(what).isGreaterThan(0);
                    assertThat(cell.centreY() - cell.radius()).as(what).isGreaterThan(0);
                    assertThat(cell.centreX() + cell.radius()).as(what).isLessThan(size);
                    assertThat(cell.centreY() + cell.radius()).as(what).isLessThan(size);
                }
            }
        }
    }

    @Test
    void labelsRoundTripIgnoringCase() {
        for (CellKind kind : CellKind.values()) {
            assertThat(kind.label()).isEqualTo(kind.name().toLowerCase(java.util.Locale.ROOT));
            assertThat(CellKind.fromLabel(kind.label())).isSameAs(kind);
            assertThat(CellKind.fromLabel(kind.label().toUpperCase(java.util.Locale.ROOT)))
                    .isSameAs(kind);
        }
        assertThat(CellKind.fromLabel("Promyelocyte")).isSameAs(CellKind.PROMYELOCYTE);
    }

    @Test
    void unknownLabelsAreRejectedNamingTheValidOnes() {
        assertThatThrownBy(() -> CellKind.fromLabel("megakaryocyte"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("megakaryocyte")
                .hasMessageContaining("neutrophil")
                .hasMessageContaining("promyelocyte");
        assertThatThrownBy(() -> CellKind.fromLabel(null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // --- morphology, checked with simple colour statistics over many seeds -----------------

    @Test
    void eosinophilGranulesAreRedderThanBasophilGranules() {
        // orange-red eosin granules against dark blue-purple basophil granules
        double leastEosinophil = min(CellKind.EOSINOPHIL, Crop::centralRedToBlue);
        double mostBasophil = max(CellKind.BASOPHIL, Crop::centralRedToBlue);
        assertThat(leastEosinophil).isGreaterThan(mostBasophil + 0.2);
    }

    @Test
    void lymphocyteNucleusFillsMoreOfItsCellThanNeutrophilLobesDo() {
        // a round dense nucleus with a thin rim of cytoplasm, against a few thin lobes
        double leastLymphocyte = min(CellKind.LYMPHOCYTE, Crop::darkFraction);
        double mostNeutrophil = max(CellKind.NEUTROPHIL, Crop::darkFraction);
        assertThat(leastLymphocyte).isGreaterThan(mostNeutrophil + 0.05);
    }

    @Test
    void blastChromatinIsPalerThanLymphocyteChromatin() {
        // fine open chromatin of a myeloblast against the clumped dark chromatin of a lymphocyte
        double darkestBlast = min(CellKind.BLAST, Crop::nucleusLuminance);
        double palestLymphocyte = max(CellKind.LYMPHOCYTE, Crop::nucleusLuminance);
        assertThat(darkestBlast).isGreaterThan(palestLymphocyte + 10);
    }

    @Test
    void promyelocyteIsRedderThanBlast() {
        // purple-red azurophilic granules against scant deep-blue cytoplasm
        double leastPromyelocyte = min(CellKind.PROMYELOCYTE, Crop::cellRedToBlue);
        double mostBlast = max(CellKind.BLAST, Crop::cellRedToBlue);
        assertThat(leastPromyelocyte).isGreaterThan(mostBlast + 0.05);
    }

    // --- a picture for people ----------------------------------------------------------------

    /**
     * Writes {@code target/synthetic-contact-sheet.png}: one row per {@link CellKind} in
     * declaration order (neutrophil, lymphocyte, monocyte, eosinophil, basophil, blast,
     * promyelocyte), six seeds per row, 128 px crops.
     */
    @Test
    void writesAContactSheet() throws IOException {
        int size = 128;
        int gap = 2;
        int columns = 6;
        CellKind[] kinds = CellKind.values();
        CellRenderer renderer = new CellRenderer(size);
        BufferedImage sheet =
                new BufferedImage(
                        columns * (size + gap) + gap,
                        kinds.length * (size + gap) + gap,
                        BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
            for (int row = 0; row < kinds.length; row++) {
                for (int col = 0; col < columns; col++) {
                    g.drawImage(
                            renderer.render(kinds[row], col),
                            gap + col * (size + gap),
                            gap + row * (size + gap),
                            null);
                }
            }
        } finally {
            g.dispose();
        }
        Path out = Path.of(System.getProperty("basedir", "."), "target");
        Files.createDirectories(out);
        Path file = out.resolve("synthetic-contact-sheet.png");
        assertThat(ImageIO.write(sheet, "png", file.toFile())).isTrue();
        assertThat(ImageIO.read(file.toFile()).getWidth()).isEqualTo(sheet.getWidth());

        System.out.println("contact sheet: " + file.toAbsolutePath());
    }

    /**
     * No timing assertion (build machines are shared and noisy), but the figure is left in the test
     * output: after warm-up a 128 px crop takes about 1-2 ms of CPU.
     */
    @Test
    void reportsRenderTime() {
        CellRenderer renderer = new CellRenderer(128);
        CellKind[] kinds = CellKind.values();
        for (int i = 0; i < 700; i++) {
            renderer.render(kinds[i % kinds.length], i);
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        boolean cpu = threads.isCurrentThreadCpuTimeSupported();
        int n = 700;
        long wall = System.nanoTime();
        long cpuStart = cpu ? threads.getCurrentThreadCpuTime() : 0;
        for (int i = 0; i < n; i++) {
            renderer.render(kinds[i % kinds.length], 10_000 + i);
        }
        double wallMs = (System.nanoTime() - wall) / 1e6 / n;
        double cpuMs = cpu ? (threads.getCurrentThreadCpuTime() - cpuStart) / 1e6 / n : Double.NaN;
        System.out.printf("mean render time at 128 px: %.2f ms wall, %.2f ms CPU%n", wallMs, cpuMs);
        assertThat(wallMs).isPositive();
    }

    // --- helpers -----------------------------------------------------------------------------

    private static double min(CellKind kind, ToDoubleFunction<Crop> stat) {
        return stats(kind, stat).min().orElseThrow();
    }

    private static double max(CellKind kind, ToDoubleFunction<Crop> stat) {
        return stats(kind, stat).max().orElseThrow();
    }

    private static java.util.stream.DoubleStream stats(CellKind kind, ToDoubleFunction<Crop> stat) {
        CellRenderer renderer = new CellRenderer(128);
        double[] values = new double[SEEDS];
        for (int seed = 0; seed < SEEDS; seed++) {
            values[seed] = stat.applyAsDouble(new Crop(renderer.render(kind, seed)));
        }
        return Arrays.stream(values);
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }

    /**
     * Colour statistics of one crop. The plasma colour is the most common colour; white-cell pixels
     * are those bluer than the plasma (the nucleus and the basophilic or azurophilic parts: red
     * cells and plasma are eosin-pink), and dark pixels those well below the plasma's luminance.
     */
    private static final class Crop {
        private final int[] rgb;
        private final int size;
        private final int plasma;
        private final double plasmaLuminance;

        Crop(BufferedImage image) {
            this.size = image.getWidth();
            this.rgb = pixels(image);
            this.plasma = mostCommonColour(rgb);
            this.plasmaLuminance = luminance(plasma);
        }

        /** Mean red over mean blue of the non-plasma pixels in the central 60% of the crop. */
        double centralRedToBlue() {
            long red = 0;
            long blue = 0;
            int lo = (int) (size * 0.2);
            int hi = (int) (size * 0.8);
            for (int y = lo; y < hi; y++) {
                for (int x = lo; x < hi; x++) {
                    int c = rgb[y * size + x];
                    if (distance(c, plasma) > 30) {
                        red += c >> 16 & 0xff;
                        blue += c & 0xff;
                    }
                }
            }
            return (double) red / Math.max(1, blue);
        }

        /** Dark (nuclear) pixels as a fraction of white-cell pixels. */
        double darkFraction() {
            int cell = 0;
            int dark = 0;
            for (int c : rgb) {
                if (isCell(c)) {
                    cell++;
                }
                if (luminance(c) < 0.6 * plasmaLuminance) {
                    dark++;
                }
            }
            return (double) dark / Math.max(1, cell);
        }

        /** Mean luminance of the darkest quarter of the white-cell pixels (the chromatin). */
        double nucleusLuminance() {
            double[] l =
                    Arrays.stream(rgb).filter(this::isCell).mapToDouble(Crop::luminance).toArray();
            Arrays.sort(l);
            int quarter = Math.max(1, l.length / 4);
            return Arrays.stream(l, 0, Math.min(quarter, l.length)).average().orElse(255);
        }

        /** Mean red over mean blue of the white-cell pixels. */
        double cellRedToBlue() {
            long red = 0;
            long blue = 0;
            for (int c : rgb) {
                if (isCell(c)) {
                    red += c >> 16 & 0xff;
                    blue += c & 0xff;
                }
            }
            return (double) red / Math.max(1, blue);
        }

        private boolean isCell(int c) {
            int blueOverGreen = (c & 0xff) - (c >> 8 & 0xff);
            int plasmaBlueOverGreen = (plasma & 0xff) - (plasma >> 8 & 0xff);
            return blueOverGreen - plasmaBlueOverGreen > 10 && luminance(c) < plasmaLuminance - 8;
        }

        private static int mostCommonColour(int[] rgb) {
            Map<Integer, Integer> counts = new HashMap<>();
            for (int c : rgb) {
                counts.merge(bucket(c), 1, Integer::sum);
            }
            int best =
                    counts.entrySet().stream()
                            .max(Map.Entry.comparingByValue())
                            .orElseThrow()
                            .getKey();
            long r = 0;
            long g = 0;
            long b = 0;
            int n = 0;
            for (int c : rgb) {
                if (bucket(c) == best) {
                    r += c >> 16 & 0xff;
                    g += c >> 8 & 0xff;
                    b += c & 0xff;
                    n++;
                }
            }
            return (int) (r / n) << 16 | (int) (g / n) << 8 | (int) (b / n);
        }

        private static int bucket(int c) {
            return (c >> 19 & 0x1f) << 10 | (c >> 11 & 0x1f) << 5 | (c >> 3 & 0x1f);
        }

        private static double luminance(int c) {
            return 0.299 * (c >> 16 & 0xff) + 0.587 * (c >> 8 & 0xff) + 0.114 * (c & 0xff);
        }

        private static double distance(int a, int b) {
            int dr = (a >> 16 & 0xff) - (b >> 16 & 0xff);
            int dg = (a >> 8 & 0xff) - (b >> 8 & 0xff);
            int db = (a & 0xff) - (b & 0xff);
            return Math.sqrt(dr * dr + dg * dg + db * db);
        }
    }
}
