package org.bloomstream.devkit.replay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;

/**
 * A folder of labelled crops described by {@code labels.csv} with the columns {@code
 * path,label[,group]} (a header row, paths relative to the folder). Each group becomes one specimen
 * (a patient or a smear); without a group column the whole folder is one specimen.
 *
 * <p>Replayed as a scanner would send it: per specimen scan-started, its crops, scan-finished.
 * Image bytes are read lazily, one file at a time.
 */
public final class LabelledFolder implements Iterable<Emission> {
    /** One labelled crop. */
    public record Entry(Path path, String label, String group) {}

    private final Path root;
    private final Map<String, List<Entry>> groups;
    private final String scannerId;
    private final Instant startTime;

    private LabelledFolder(
            Path root, Map<String, List<Entry>> groups, String scannerId, Instant startTime) {
        this.root = root;
        this.groups = groups;
        this.scannerId = scannerId;
        this.startTime = startTime;
    }

    /** Reads {@code dir/labels.csv}; fails with the line number on a malformed row. */
    public static LabelledFolder open(Path dir, Instant startTime) throws IOException {
        Path csv = dir.resolve("labels.csv");
        if (!Files.isRegularFile(csv)) {
            throw new IOException(dir + " has no labels.csv (columns: path,label[,group])");
        }
        List<String> lines = Files.readAllLines(csv);
        if (lines.isEmpty()) {
            throw new IOException(csv + " is empty");
        }
        // Spreadsheet programs often start a CSV with a byte-order mark.
        String[] header = lines.get(0).replace("\uFEFF", "").split(",", -1);
        if (header.length < 2
                || !header[0].trim().equalsIgnoreCase("path")
                || !header[1].trim().equalsIgnoreCase("label")) {
            throw new IOException(csv + ": the header must start with path,label");
        }
        boolean grouped = header.length >= 3;
        String single = dir.toAbsolutePath().normalize().getFileName().toString();
        Map<String, List<Entry>> groups = new LinkedHashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] cols = line.split(",", -1);
            if (cols.length < 2 || cols[0].isBlank() || cols[1].isBlank()) {
                throw new IOException(csv + ":" + (i + 1) + ": expected path,label[,group]");
            }
            Path file = dir.resolve(cols[0].trim()).normalize();
            if (!Files.isRegularFile(file)) {
                throw new IOException(csv + ":" + (i + 1) + ": no such file " + file);
            }
            String group =
                    grouped && cols.length >= 3 && !cols[2].isBlank() ? cols[2].trim() : single;
            groups.computeIfAbsent(group, g -> new ArrayList<>())
                    .add(new Entry(file, cols[1].trim().toLowerCase(Locale.ROOT), group));
        }
        if (groups.isEmpty()) {
            throw new IOException(csv + " lists no crops");
        }
        return new LabelledFolder(dir, groups, "replay-" + single, startTime);
    }

    public Path root() {
        return root;
    }

    /** Specimen id to its crops, in file order. */
    public Map<String, List<Entry>> specimens() {
        return groups;
    }

    public int crops() {
        return groups.values().stream().mapToInt(List::size).sum();
    }

    static ImageEncoding encodingOf(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jpg") || name.endsWith(".jpeg")) {
            return ImageEncoding.JPEG;
        }
        if (name.endsWith(".png")) {
            return ImageEncoding.PNG;
        }
        if (name.endsWith(".bmp")) {
            return ImageEncoding.BMP;
        }
        if (name.endsWith(".tif") || name.endsWith(".tiff")) {
            return ImageEncoding.TIFF;
        }
        return ImageEncoding.UNKNOWN;
    }

    @Override
    public Iterator<Emission> iterator() {
        return new Iterator<>() {
            private final Iterator<Map.Entry<String, List<Entry>>> specimens =
                    groups.entrySet().iterator();
            private String specimen;
            private Iterator<Entry> crops;
            private int n;
            private boolean finishedSent = true;
            private long seq;

            @Override
            public boolean hasNext() {
                return specimens.hasNext() || (crops != null && crops.hasNext()) || !finishedSent;
            }

            @Override
            public Emission next() {
                Instant t = startTime.plusMillis(seq++);
                if (crops != null && crops.hasNext()) {
                    Entry e = crops.next();
                    n++;
                    return crop(specimen, e, n, t);
                }
                if (!finishedSent) {
                    finishedSent = true;
                    return event(specimen, ScanEventType.FINISHED, n, t);
                }
                if (!specimens.hasNext()) {
                    throw new NoSuchElementException();
                }
                Map.Entry<String, List<Entry>> s = specimens.next();
                specimen = s.getKey();
                crops = s.getValue().iterator();
                n = 0;
                finishedSent = false;
                return event(specimen, ScanEventType.STARTED, null, t);
            }
        };
    }

    private Emission event(String specimen, ScanEventType type, Integer expected, Instant t) {
        ScanEvent ev = new ScanEvent(specimen + "-scan1", specimen, scannerId, type, t, expected);
        Emission.Type et =
                type == ScanEventType.STARTED
                        ? Emission.Type.SCAN_STARTED
                        : Emission.Type.SCAN_FINISHED;
        return new Emission(et, specimen, null, null, ev, null, null, null);
    }

    private Emission crop(String specimen, Entry e, int n, Instant t) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(e.path());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        String rel = root.relativize(e.path()).toString();
        CellCrop crop =
                CellCrop.newBuilder()
                        .setCellId(specimen + "/" + rel)
                        .setSpecimenId(specimen)
                        .setScanId(specimen + "-scan1")
                        .setScannerId(scannerId)
                        .setCaptureTime(t)
                        .setImage(ByteBuffer.wrap(bytes))
                        .setEncoding(encodingOf(e.path()))
                        // Unknown until the gate reads the header; it fills in the real size.
                        .setWidth(0)
                        .setHeight(0)
                        .setReferenceLabel(e.label())
                        .build();
        return new Emission(Emission.Type.CROP, specimen, null, null, null, crop, null, null);
    }
}
