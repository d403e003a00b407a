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
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.stream.Stream;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.ingest.watch.WatchFolder;
import org.bloomstream.schemas.LogIds;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;
import org.bloomstream.schemas.ids.IdRules;

/**
 * Replays an existing folder or data set as scanners would send it, for load tests:
 *
 * <ul>
 *   <li>a folder with {@code labels.csv} ({@code path,label[,group]}): each group is a specimen,
 *       labels become reference labels ({@link LabelledFolder});
 *   <li>otherwise a folder tree: every folder that holds crops is one specimen, named after its
 *       path below the root ({@code AML/NPM1/patient_07} gives {@code NPM1_patient_07}); a flat
 *       folder of crops is one specimen named after the folder. This reads the published AML layout
 *       ({@code <label>/<patient>/image_<n>.tif}) and watch-folder trees alike.
 * </ul>
 *
 * <p>Each pass can carry a run tag appended to specimen, scan and cell ids ({@code P-1~r3}), so
 * that replaying the same data again into a running gate is new data rather than a day of
 * duplicates, and so that {@code --repeat} yields distinct specimens.
 */
public final class FolderReplay implements Iterable<Emission> {
    private final List<Iterable<Emission>> passes;
    private final int cropsPerPass;
    private final int specimensPerPass;
    private final String description;

    private FolderReplay(
            List<Iterable<Emission>> passes, int crops, int specimens, String description) {
        this.passes = passes;
        this.cropsPerPass = crops;
        this.specimensPerPass = specimens;
        this.description = description;
    }

    /**
     * @param repeat passes over the data
     * @param runTag appended to ids as {@code ~tag} (and {@code -rN} per pass when repeating);
     *     empty keeps the ids as they are (only sensible for a single pass)
     */
    public static FolderReplay open(Path dir, int repeat, String runTag) throws IOException {
        return open(dir, repeat, runTag, IdRules.DEFAULT);
    }

    /**
     * As {@link #open(Path, int, String)}, refusing (before anything is replayed) data whose
     * specimen, scan or cell ids, run tag included, break {@code rules}: the same id check the HTTP
     * feed, the watch folder and the gate apply.
     */
    public static FolderReplay open(Path dir, int repeat, String runTag, IdRules rules)
            throws IOException {
        if (repeat < 1) {
            throw new IllegalArgumentException("repeat must be >= 1");
        }
        Iterable<Emission> base;
        int crops;
        int specimens;
        String description;
        // the longest suffix a pass appends, for the length rule
        String longestTag = runTag.isEmpty() && repeat == 1 ? "" : "~" + runTag + "-r" + repeat;
        if (Files.isRegularFile(dir.resolve("labels.csv"))) {
            LabelledFolder f = LabelledFolder.open(dir, Instant.now());
            for (Map.Entry<String, List<LabelledFolder.Entry>> g : f.specimens().entrySet()) {
                for (LabelledFolder.Entry e : g.getValue()) {
                    checkIds(
                            rules,
                            g.getKey(),
                            g.getKey() + "/" + dir.relativize(e.path()),
                            longestTag);
                }
            }
            base = f;
            crops = f.crops();
            specimens = f.specimens().size();
            description = "labelled folder (labels.csv)";
        } else {
            ImageTree t = ImageTree.scan(dir);
            for (Map.Entry<String, List<Path>> g : t.specimens.entrySet()) {
                for (Path f : g.getValue()) {
                    checkIds(rules, g.getKey(), g.getKey() + "/" + f.getFileName(), longestTag);
                }
            }
            base = t;
            crops = t.crops();
            specimens = t.specimens.size();
            description = "folder tree";
        }
        if (crops == 0) {
            throw new IOException(dir + " holds no crops (.jpg .png .bmp .tif .gif)");
        }
        List<Iterable<Emission>> passes = new ArrayList<>();
        for (int i = 0; i < repeat; i++) {
            String tag = runTag.isEmpty() ? "" : repeat > 1 ? runTag + "-r" + (i + 1) : runTag;
            if (tag.isEmpty() && repeat > 1) {
                tag = "r" + (i + 1);
            }
            passes.add(tag.isEmpty() ? base : tagged(base, "~" + tag));
        }
        return new FolderReplay(passes, crops, specimens, description);
    }

    /** Refuses the replay when an id it would send breaks the rules. */
    private static void checkIds(IdRules rules, String specimen, String cellId, String tag)
            throws IOException {
        for (IdRules.Check c :
                List.of(
                        rules.check("specimenId", specimen + tag),
                        rules.check("scanId", specimen + "-scan1" + tag),
                        rules.check("cellId", cellId + tag))) {
            if (!c.ok()) {
                throw new IOException(
                        "replay refused, nothing sent: "
                                + c.reason()
                                + " (specimen "
                                + LogIds.ref(specimen)
                                + ")");
            }
        }
    }

    public long crops() {
        return (long) cropsPerPass * passes.size();
    }

    public long specimens() {
        return (long) specimensPerPass * passes.size();
    }

    public String description() {
        return description;
    }

    @Override
    public Iterator<Emission> iterator() {
        return passes.stream().flatMap(p -> toStream(p)).iterator();
    }

    private static Stream<Emission> toStream(Iterable<Emission> it) {
        return java.util.stream.StreamSupport.stream(it.spliterator(), false);
    }

    /** The same emissions with {@code suffix} on specimen, scan and cell ids. */
    static Iterable<Emission> tagged(Iterable<Emission> base, String suffix) {
        return () ->
                toStream(base)
                        .map(
                                e -> {
                                    ScanEvent ev = e.scanEvent();
                                    if (ev != null) {
                                        ev = ScanEvent.newBuilder(ev).build();
                                        ev.setSpecimenId(ev.getSpecimenId() + suffix);
                                        ev.setScanId(ev.getScanId() + suffix);
                                    }
                                    CellCrop c = e.crop();
                                    if (c != null) {
                                        c = CellCrop.newBuilder(c).build();
                                        c.setSpecimenId(c.getSpecimenId() + suffix);
                                        c.setScanId(c.getScanId() + suffix);
                                        c.setCellId(c.getCellId() + suffix);
                                    }
                                    return new Emission(
                                            e.type(),
                                            e.specimenId() + suffix,
                                            e.profile(),
                                            e.cellKind(),
                                            ev,
                                            c,
                                            e.rawValue(),
                                            e.defect());
                                })
                        .iterator();
    }

    /** A folder tree: every folder holding crops is a specimen. Files are read lazily. */
    static final class ImageTree implements Iterable<Emission> {
        final Path root;
        final Map<String, List<Path>> specimens;

        private ImageTree(Path root, Map<String, List<Path>> specimens) {
            this.root = root;
            this.specimens = specimens;
        }

        static ImageTree scan(Path dir) throws IOException {
            Path root = dir.toAbsolutePath().normalize();
            Map<String, List<Path>> specimens = new LinkedHashMap<>();
            List<Path> files;
            try (Stream<Path> s = Files.walk(root)) {
                files =
                        s.filter(Files::isRegularFile)
                                .filter(p -> WatchFolder.isCrop(p.getFileName().toString()))
                                .filter(p -> !root.relativize(p).toString().contains("/."))
                                .filter(p -> !p.getFileName().toString().startsWith("."))
                                .sorted()
                                .toList();
            }
            for (Path f : files) {
                Path parent = root.relativize(f.getParent());
                String id =
                        parent.toString().isEmpty()
                                ? root.getFileName().toString()
                                : parent.toString().replace('/', '_').replace('\\', '_');
                specimens.computeIfAbsent(id, k -> new ArrayList<>()).add(f);
            }
            return new ImageTree(root, specimens);
        }

        int crops() {
            return specimens.values().stream().mapToInt(List::size).sum();
        }

        @Override
        public Iterator<Emission> iterator() {
            return new Iterator<>() {
                private final Iterator<Map.Entry<String, List<Path>>> it =
                        specimens.entrySet().iterator();
                private String specimen;
                private Iterator<Path> crops;
                private int n;
                private boolean finishedSent = true;

                @Override
                public boolean hasNext() {
                    return it.hasNext() || (crops != null && crops.hasNext()) || !finishedSent;
                }

                @Override
                public Emission next() {
                    Instant now = Instant.now();
                    if (crops != null && crops.hasNext()) {
                        Path f = crops.next();
                        n++;
                        byte[] bytes;
                        try {
                            bytes = Files.readAllBytes(f);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                        CellCrop crop =
                                CellCrop.newBuilder()
                                        .setCellId(specimen + "/" + f.getFileName())
                                        .setSpecimenId(specimen)
                                        .setScanId(specimen + "-scan1")
                                        .setScannerId("replay-" + root.getFileName())
                                        .setCaptureTime(now)
                                        .setImage(ByteBuffer.wrap(bytes))
                                        .setEncoding(
                                                WatchFolder.encodingOf(f.getFileName().toString()))
                                        .setWidth(0)
                                        .setHeight(0)
                                        .build();
                        return new Emission(
                                Emission.Type.CROP, specimen, null, null, null, crop, null, null);
                    }
                    if (!finishedSent) {
                        finishedSent = true;
                        return event(ScanEventType.FINISHED, n, now);
                    }
                    if (!it.hasNext()) {
                        throw new NoSuchElementException();
                    }
                    Map.Entry<String, List<Path>> s = it.next();
                    specimen = s.getKey();
                    crops = s.getValue().iterator();
                    n = 0;
                    finishedSent = false;
                    return event(ScanEventType.STARTED, null, now);
                }

                private Emission event(ScanEventType type, Integer expected, Instant t) {
                    ScanEvent ev =
                            new ScanEvent(
                                    specimen + "-scan1",
                                    specimen,
                                    "replay-" + root.getFileName(),
                                    type,
                                    t,
                                    expected);
                    return new Emission(
                            type == ScanEventType.STARTED
                                    ? Emission.Type.SCAN_STARTED
                                    : Emission.Type.SCAN_FINISHED,
                            specimen,
                            null,
                            null,
                            ev,
                            null,
                            null,
                            null);
                }
            };
        }
    }
}
