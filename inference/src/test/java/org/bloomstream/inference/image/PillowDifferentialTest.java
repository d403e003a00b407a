package org.bloomstream.inference.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every crop that Pillow opens, we open, to the same pixels: the decoder plus {@link
 * AntialiasedResize} against Pillow's {@code Image.open(f).convert("RGB").resize((224, 224),
 * BILINEAR)}, on every image of every data set under {@code ../shared/data} and on a corpus of
 * format variants generated at test time ({@link PillowOracle}).
 *
 * <p>Each file ends in one of three ways: both decode and the 224x224 RGB bytes are equal; both
 * refuse; or a difference listed in {@link #KNOWN} with its explanation, of at most one level per
 * channel. Anything else is a mismatch and fails the test.
 */
class PillowDifferentialTest {

    /**
     * Files that may differ by one level, by name prefix, and why. Empty: on Pillow 9.4 every file
     * that both decode is byte-identical after the resize, JPEG included (the JDK's libjpeg and
     * Pillow's libjpeg-turbo share the islow IDCT and the fancy chroma upsampling for 4:2:0 and
     * 4:2:2). An entry here needs a reason that names the two code paths that round differently.
     */
    static final Map<String, String> KNOWN = Map.of();

    private final CropImageDecoder decoder = new CropImageDecoder(ImageLimits.DEFAULT);

    static final class Tally {
        int files;
        int equal;
        int withinOne;
        int refusedByBoth;
        final List<String> mismatches = new ArrayList<>();

        String line(String name) {
            return String.format(
                    Locale.ROOT,
                    "%-28s files %4d, equal %4d, within one level %3d, refused by both %3d,"
                            + " mismatches %d",
                    name,
                    files,
                    equal,
                    withinOne,
                    refusedByBoth,
                    mismatches.size());
        }

        void add(Tally t) {
            files += t.files;
            equal += t.equal;
            withinOne += t.withinOne;
            refusedByBoth += t.refusedByBoth;
            mismatches.addAll(t.mismatches);
        }
    }

    @Test
    void decodingMatchesPillowOnEveryDataSetAndTheCraftedCorpus(@TempDir Path tmp)
            throws Exception {
        PillowOracle.requirePillow();
        Map<String, List<Path>> groups = new LinkedHashMap<>();
        groups.put("crafted corpus", PillowOracle.corpus(tmp.resolve("corpus")));
        List<Path> sets = PillowOracle.dataSets();
        if (sets.isEmpty() && "1".equals(System.getenv("BLOOMSTREAM_REQUIRE_PYTHON"))) {
            throw new AssertionError("no data sets under ../shared/data");
        }
        for (Path set : sets) {
            groups.put(set.getFileName().toString(), PillowOracle.imagesOf(set));
        }
        Tally total = new Tally();
        for (var g : groups.entrySet()) {
            Tally t = new Tally();
            PillowOracle.reference(
                    g.getValue(), true, (file, verdict) -> compare(file, verdict, t));
            System.out.println(t.line(g.getKey()));
            total.add(t);
        }
        System.out.println(total.line("all"));
        total.mismatches.forEach(m -> System.out.println("MISMATCH " + m));
        assertThat(total.mismatches).isEmpty();
        assertThat(total.files).isGreaterThan(80);
    }

    private void compare(Path file, PillowOracle.Verdict pillow, Tally t) throws Exception {
        t.files++;
        String name = file.getFileName().toString();
        byte[] java;
        String javaRefusal = null;
        try {
            java =
                    AntialiasedResize.resizeToRgb(
                            decoder.decode(Files.readAllBytes(file)),
                            PillowOracle.SIZE,
                            PillowOracle.SIZE);
        } catch (CropRejectedException e) {
            java = null;
            javaRefusal = e.reason() + ": " + e.getMessage();
        }
        if (java == null && pillow.rgb() == null) {
            t.refusedByBoth++;
            System.out.println(
                    "  refused by both: "
                            + name
                            + " | Pillow: "
                            + pillow.refusal()
                            + " | Java: "
                            + javaRefusal);
            return;
        }
        if (java == null || pillow.rgb() == null) {
            t.mismatches.add(
                    name
                            + (java == null
                                    ? ": Pillow decodes it, Java refuses: " + javaRefusal
                                    : ": Java decodes it, Pillow refuses: " + pillow.refusal()));
            return;
        }
        int worst = 0;
        int differing = 0;
        for (int i = 0; i < java.length; i++) {
            int d = Math.abs((java[i] & 0xFF) - (pillow.rgb()[i] & 0xFF));
            if (d > 0) {
                differing++;
                worst = Math.max(worst, d);
            }
        }
        if (worst == 0) {
            t.equal++;
            return;
        }
        String why = explanation(name);
        if (worst <= 1 && why != null) {
            t.withinOne++;
            return;
        }
        t.mismatches.add(
                String.format(
                        Locale.ROOT,
                        "%s: %d of %d channel values differ, by up to %d levels%s",
                        file,
                        differing,
                        java.length,
                        worst,
                        why == null ? "" : " (listed: " + why + ")"));
    }

    static String explanation(String name) {
        for (var e : KNOWN.entrySet()) {
            if (name.startsWith(e.getKey())) {
                return e.getValue();
            }
        }
        return null;
    }
}
