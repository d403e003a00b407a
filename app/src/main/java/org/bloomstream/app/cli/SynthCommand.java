package org.bloomstream.app.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.modeltools.embed.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bloomstream synth DIR}: a synthetic AML data set on disk. */
@Command(
        name = "synth",
        mixinStandardHelpOptions = true,
        description = {
            "Writes synthetic specimens to disk in the published AML layout.",
            "",
            "DIR/<subtype>/<specimen>/image_<n>.jpg (subtype folders as in AML_Hehr: "
                    + "CBFB_MYH11, NPM1, PML_RARA, RUNX1_RUNX1T1, control), DIR/metadata.csv "
                    + "(patient_id,bag_label) and DIR/cells.csv (path,cell_kind: the drawn type "
                    + "of every crop). Feed it to `embed` and models/train_mil.py to train a "
                    + "MIL model; use a seed the demo does not use (the demo uses 42)."
        })
final class SynthCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "Output folder (created).")
    Path dir;

    @Option(
            names = "--specimens",
            defaultValue = "100",
            description =
                    "Specimens, cycling through the five profiles (default: ${DEFAULT-VALUE}).")
    int specimens;

    @Option(
            names = "--cells",
            defaultValue = "150",
            description = "Crops per specimen (default: ${DEFAULT-VALUE}).")
    int cells;

    @Option(
            names = "--seed",
            defaultValue = "1000",
            description = "Scanner seed (default: ${DEFAULT-VALUE}).")
    long seed;

    /** AML_Hehr's folder names: the fusion separator "::" is not used in paths. */
    static String folderOf(String label) {
        return label.replace("::", "_");
    }

    @Override
    public Integer call() throws IOException {
        SyntheticScanner scanner =
                new SyntheticScanner(
                        SyntheticScanner.Config.of(seed, specimens, cells)
                                .withStartTime(Instant.parse("2026-01-01T00:00:00Z")));
        Files.createDirectories(dir);
        Map<String, Integer> counters = new HashMap<>();
        ProgressBar bar = new ProgressBar(System.err, "rendering", scanner.totalCrops());
        long written = 0;
        try (CSVPrinter meta =
                        new CSVPrinter(
                                Files.newBufferedWriter(
                                        dir.resolve("metadata.csv"), StandardCharsets.UTF_8),
                                CSVFormat.DEFAULT
                                        .builder()
                                        .setHeader("patient_id", "bag_label")
                                        .setRecordSeparator('\n')
                                        .get());
                CSVPrinter cellsCsv =
                        new CSVPrinter(
                                Files.newBufferedWriter(
                                        dir.resolve("cells.csv"), StandardCharsets.UTF_8),
                                CSVFormat.DEFAULT
                                        .builder()
                                        .setHeader("path", "cell_kind")
                                        .setRecordSeparator('\n')
                                        .get())) {
            for (Emission e : scanner) {
                if (e.type() == Emission.Type.SCAN_STARTED) {
                    meta.printRecord(e.specimenId(), e.profile().label());
                    continue;
                }
                if (e.type() != Emission.Type.CROP) {
                    continue;
                }
                int n = counters.merge(e.specimenId(), 1, Integer::sum);
                Path rel =
                        Path.of(
                                folderOf(e.profile().label()),
                                e.specimenId(),
                                "image_" + n + ".jpg");
                Path file = dir.resolve(rel);
                Files.createDirectories(file.getParent());
                ByteBuffer image = e.crop().getImage();
                byte[] bytes = new byte[image.remaining()];
                image.duplicate().get(bytes);
                Files.write(file, bytes);
                cellsCsv.printRecord(rel.toString(), e.cellKind().label());
                bar.update(++written);
            }
        }
        System.out.printf("wrote %d crops of %d specimens to %s%n", written, specimens, dir);
        return 0;
    }
}
