package org.bloomstream.modeltools.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A folder of crops, with labels and groups where the layout has them. Recognised layouts, tried in
 * this order:
 *
 * <ol>
 *   <li>{@code labels.csv} with a header {@code path,label[,group]} (paths relative to the folder;
 *       the third column, whatever its name, is the group: a patient or a smear);
 *   <li>the published AML layout {@code <label>/<patient>/image_<n>.tif} (AML_Hehr, SCEMILA; a
 *       {@code metadata.csv} may sit beside it): label from the first folder, group from the
 *       second;
 *   <li>{@code <label>/<image>}: label from the folder, no group;
 *   <li>a flat folder of images: no labels.
 * </ol>
 *
 * Entries are sorted by path, so the order (and therefore every output row) is reproducible. Labels
 * are kept as written; vocabularies compare them without regard to case.
 */
public final class CropDataset {
    static final Set<String> IMAGE_EXTENSIONS =
            Set.of("png", "jpg", "jpeg", "bmp", "tif", "tiff", "gif");

    /** One crop. {@code label} and {@code group} may be null when the layout has none. */
    public record Entry(Path path, String relative, String label, String group) {}

    /** How the labels were found. */
    public enum Layout {
        LABELS_CSV,
        LABEL_PATIENT_FOLDERS,
        LABEL_FOLDERS,
        FLAT
    }

    private final Path root;
    private final Layout layout;
    private final List<Entry> entries;

    private CropDataset(Path root, Layout layout, List<Entry> entries) {
        this.root = root;
        this.layout = layout;
        this.entries = List.copyOf(entries);
    }

    public Path root() {
        return root;
    }

    public Layout layout() {
        return layout;
    }

    public List<Entry> entries() {
        return entries;
    }

    public boolean labelled() {
        return entries.stream().allMatch(e -> e.label() != null);
    }

    public boolean grouped() {
        return entries.stream().allMatch(e -> e.group() != null);
    }

    public static CropDataset open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("not a directory: " + dir);
        }
        Path root = dir.toAbsolutePath().normalize();
        if (Files.isRegularFile(root.resolve("labels.csv"))) {
            return new CropDataset(root, Layout.LABELS_CSV, fromCsv(root));
        }
        List<Entry> entries = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p :
                    files.filter(Files::isRegularFile)
                            .filter(CropDataset::isImage)
                            .sorted()
                            .toList()) {
                Path rel = root.relativize(p);
                int depth = rel.getNameCount();
                String label = depth >= 2 ? rel.getName(0).toString() : null;
                String group = depth >= 3 ? rel.getName(1).toString() : null;
                entries.add(new Entry(p, rel.toString(), label, group));
            }
        }
        if (entries.isEmpty()) {
            throw new IOException(
                    dir + " holds no images (" + IMAGE_EXTENSIONS + ") and no labels.csv");
        }
        int maxDepth =
                entries.stream()
                        .mapToInt(e -> Path.of(e.relative()).getNameCount())
                        .max()
                        .orElse(1);
        int minDepth =
                entries.stream()
                        .mapToInt(e -> Path.of(e.relative()).getNameCount())
                        .min()
                        .orElse(1);
        if (minDepth != maxDepth) {
            throw new IOException(
                    dir
                            + " mixes images at different folder depths; use labels.csv, or one of"
                            + " <label>/<patient>/<image>, <label>/<image>, <image>");
        }
        Layout layout =
                maxDepth >= 3
                        ? Layout.LABEL_PATIENT_FOLDERS
                        : maxDepth == 2 ? Layout.LABEL_FOLDERS : Layout.FLAT;
        return new CropDataset(root, layout, entries);
    }

    private static boolean isImage(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0
                && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static List<Entry> fromCsv(Path root) throws IOException {
        Path csv = root.resolve("labels.csv");
        List<Entry> entries = new ArrayList<>();
        try (CSVParser parser = HeaderedCsv.parse(csv)) {
            List<String> header = parser.getHeaderNames();
            if (header.size() < 2
                    || !header.get(0).equalsIgnoreCase("path")
                    || !header.get(1).equalsIgnoreCase("label")) {
                throw new IOException(csv + ": the header must start with path,label");
            }
            for (CSVRecord r : parser) {
                long line = r.getRecordNumber() + 1;
                if (r.size() < 2 || r.get(0).isBlank() || r.get(1).isBlank()) {
                    throw new IOException(csv + ":" + line + ": expected path,label[,group]");
                }
                Path file = root.resolve(r.get(0)).normalize();
                if (!file.startsWith(root) || !Files.isRegularFile(file)) {
                    throw new IOException(
                            csv + ":" + line + ": no such file in the folder: " + r.get(0));
                }
                String group = r.size() >= 3 && !r.get(2).isBlank() ? r.get(2) : null;
                entries.add(new Entry(file, root.relativize(file).toString(), r.get(1), group));
            }
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new IOException(csv + ": " + e.getMessage(), e);
        }
        if (entries.isEmpty()) {
            throw new IOException(csv + " lists no crops");
        }
        return entries;
    }
}
