package org.bloomstream.ingest.watch;

import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.bloomstream.ingest.feed.CropSender;
import org.bloomstream.ingest.metrics.IngestMetrics;
import org.bloomstream.schemas.DeadLetters;
import org.bloomstream.schemas.LogIds;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;
import org.bloomstream.schemas.ids.IdRules;

/**
 * The watch-folder feed. A scanner writes the crops of each scan into a folder of its own under the
 * watched root and marks the scan complete with an end marker ({@value #END_MARKER}) or a manifest
 * ({@value #MANIFEST}); crops are produced to {@code cells.raw} as they appear, each scan framed by
 * scan-started and scan-finished (with the number of crops produced).
 *
 * <p><b>Layout.</b> {@code ROOT/<scan folder>/<crop files>}. Crops are files ending in .jpg, .jpeg,
 * .png, .bmp, .tif, .tiff or .gif; other files are ignored (reported once), as are names starting
 * with a dot. The specimen id and scan id are the folder name unless the folder holds a {@value
 * #PROPERTIES} (keys {@code specimenId}, {@code scanId}, {@code scannerId}, {@code
 * micronsPerPixel}) by the time its first crop is produced; the ids are then fixed in the journal.
 * A crop's cell id is {@code scannerId/scanId/fileName}: the same file always gets the same id. The
 * ids follow {@link IdRules}: a scan folder whose specimen, scan or scanner id breaks them is not
 * produced and gets a {@value #REJECTED} file with the reason; a file whose name makes a cell id
 * that breaks them is an {@code INVALID_ID} dead letter (without its bytes).
 *
 * <p><b>When is a file complete?</b> When the scan is complete, every file is. Before that, a file
 * is taken once its size and modification time have not changed for the settle time: scanners that
 * write in place are caught mid-write by this (the gate also dead-letters a truncated JPEG, PNG or
 * BMP). Scanners that write to a temporary name and rename need no settle time.
 *
 * <p><b>Exactly once across restarts.</b> Progress is a journal per scan ({@link ScanJournal}),
 * written and fsync'd only after the broker acknowledged (acks=all) what it records. A crash
 * between the acknowledgement and the journal write makes the restarted adapter send those crops
 * again, with the same cell ids and keys; the gate's dedupe turns the second copies into {@code
 * DUPLICATE_CELL} dead letters, which the job does not count as losses. So every crop reaches
 * {@code cells.accepted} exactly once, and {@code cells.raw} at least once. A transactional
 * producer would not close this gap: the journal is a local file that no Kafka transaction can
 * include. Limits: a restart later than the gate's dedupe window, or a lost journal, lets such a
 * resend through; a file rewritten after it was produced is not produced again; scan folder names
 * must not be reused (their cell ids would be duplicates).
 *
 * <p>Polling, not {@code WatchService}: inotify does not see files written over SMB or NFS, which
 * is how scanners usually reach a server. A directory listing every half second is cheap.
 *
 * <p>Files are never deleted unless {@link OnFinish#DELETE} is configured, and then only a whole
 * scan folder after its scan-finished was acknowledged and recorded.
 */
public final class WatchFolder {
    public static final String END_MARKER = "scan.done";
    public static final String MANIFEST = "manifest.csv";
    public static final String PROPERTIES = "scan.properties";

    /**
     * Written into a scan folder whose ids break the id rules: the reason, for the operator. The
     * folder is then left alone (nothing of it is produced) until its ids are fixed and the file is
     * removed.
     */
    public static final String REJECTED = "scan.rejected";

    static final String STAGE = "watch-folder";

    private static final Set<String> IMAGE_EXTENSIONS =
            Set.of("jpg", "jpeg", "png", "bmp", "tif", "tiff", "gif");

    /** What to do with a scan folder once its scan is finished. */
    public enum OnFinish {
        KEEP,
        DELETE
    }

    /**
     * @param root the watched folder
     * @param stateDir where the journals live (default {@code ROOT/.bloomstream-watch})
     * @param scannerId the scanner id for scans that do not name one
     * @param settle how long a file must stay unchanged before it is taken
     * @param batch crops sent before waiting for acknowledgements and recording them
     * @param maxCropBytes larger files are dead-lettered here ({@code IMAGE_TOO_LARGE}) instead of
     *     being sent; keep it at or below the gate's limit and the topic's max.message.bytes
     * @param onFinish keep or delete finished scan folders
     */
    public record Options(
            Path root,
            Path stateDir,
            String scannerId,
            Duration settle,
            int batch,
            long maxCropBytes,
            OnFinish onFinish) {
        public Options {
            Objects.requireNonNull(root);
            Objects.requireNonNull(stateDir);
            Objects.requireNonNull(scannerId);
            if (batch < 1 || maxCropBytes < 1 || settle.isNegative()) {
                throw new IllegalArgumentException("batch and maxCropBytes >= 1, settle >= 0");
            }
        }

        public static Options defaults(Path root) {
            Path abs = root.toAbsolutePath().normalize();
            return new Options(
                    abs,
                    abs.resolve(".bloomstream-watch"),
                    abs.getFileName() == null ? "watch" : abs.getFileName().toString(),
                    Duration.ofSeconds(1),
                    32,
                    8L * 1024 * 1024,
                    OnFinish.KEEP);
        }

        public Options withStateDir(Path d) {
            return new Options(root, d, scannerId, settle, batch, maxCropBytes, onFinish);
        }

        public Options withScannerId(String s) {
            return new Options(root, stateDir, s, settle, batch, maxCropBytes, onFinish);
        }

        public Options withSettle(Duration d) {
            return new Options(root, stateDir, scannerId, d, batch, maxCropBytes, onFinish);
        }

        public Options withBatch(int b) {
            return new Options(root, stateDir, scannerId, settle, b, maxCropBytes, onFinish);
        }

        public Options withMaxCropBytes(long m) {
            return new Options(root, stateDir, scannerId, settle, batch, m, onFinish);
        }

        public Options withOnFinish(OnFinish o) {
            return new Options(root, stateDir, scannerId, settle, batch, maxCropBytes, o);
        }
    }

    /** What the adapter did; for progress output and tests. All calls come from its thread. */
    public interface Listener {
        /** Records were acknowledged by the broker and are about to be recorded in the journal. */
        default void acknowledged(String scanFolder, List<String> files) {}

        /** A batch was recorded; {@code sentInScan} crops of this scan are done so far. */
        default void recorded(String scanFolder, int sentInScan) {}

        default void finished(String scanFolder, String specimenId, int crops) {}

        default void warning(String scanFolder, String message) {}
    }

    private final Options options;
    private final CropSender sender;
    private final Listener listener;
    private final Map<String, ScanJournal> journals = new HashMap<>();
    private final Map<Path, Seen> unsettled = new HashMap<>();
    private final Set<Path> reportedIgnored = new HashSet<>();
    private long produced;
    private final Counter sentCrops;
    private final Counter deadLetteredCrops;
    private final IngestMetrics metrics;
    private final IdRules idRules;
    private final Set<String> rejected = new HashSet<>();

    /** A scan folder whose ids break the rules. */
    private static final class RejectedScan extends Exception {
        private static final long serialVersionUID = 1L;

        RejectedScan(String reason) {
            super(reason, null, false, false);
        }
    }

    private record Seen(long size, long modified, long sinceNanos) {}

    public WatchFolder(Options options, CropSender sender, Listener listener) {
        this(options, sender, listener, IngestMetrics.bare());
    }

    /** Counts crops and scan events into {@code metrics} (stage {@code watch}). */
    public WatchFolder(
            Options options, CropSender sender, Listener listener, IngestMetrics metrics) {
        this(options, sender, listener, metrics, IdRules.DEFAULT);
    }

    /** Checks ids against {@code idRules} (the gate's, so the two agree). */
    public WatchFolder(
            Options options,
            CropSender sender,
            Listener listener,
            IngestMetrics metrics,
            IdRules idRules) {
        this.idRules = idRules;
        this.options = options;
        this.sender = sender;
        this.listener = listener == null ? new Listener() {} : listener;
        this.metrics = metrics;
        this.sentCrops = metrics.crops("watch", "sent");
        this.deadLetteredCrops = metrics.crops("watch", "dead_lettered");
        metrics.inFlightBytes(sender, CropSender::inFlightBytes);
    }

    /** Crops sent (or dead-lettered for size) and recorded since this adapter started. */
    public long produced() {
        return produced;
    }

    /**
     * Polls until {@code keepGoing} says stop. Between polls it waits {@code pollInterval}.
     *
     * @param exitWhenDone also stop once every scan folder present is finished
     */
    public void run(BooleanSupplier keepGoing, Duration pollInterval, boolean exitWhenDone)
            throws IOException, InterruptedException {
        while (keepGoing.getAsBoolean()) {
            boolean allDone = pollOnce();
            if (exitWhenDone && allDone) {
                return;
            }
            Thread.sleep(pollInterval.toMillis());
        }
    }

    /**
     * One pass over the root: produces every ready crop, finishes complete scans.
     *
     * @return true when every scan folder present is finished
     */
    public boolean pollOnce() throws IOException, InterruptedException {
        if (!Files.isDirectory(options.root())) {
            throw new IOException("not a directory: " + options.root());
        }
        List<Path> scans;
        try (Stream<Path> s = Files.list(options.root())) {
            scans =
                    s.filter(Files::isDirectory)
                            .filter(p -> !hidden(p))
                            .filter(p -> !p.toAbsolutePath().normalize().equals(options.stateDir()))
                            .sorted()
                            .toList();
        }
        boolean allDone = true;
        for (Path scan : scans) {
            try {
                allDone &= pollScan(scan);
            } catch (java.nio.file.NoSuchFileException gone) {
                // the folder was removed or renamed under us: the next pass sees what is there
                allDone = false;
            }
        }
        return allDone;
    }

    private boolean pollScan(Path dir) throws IOException, InterruptedException {
        String folder = dir.getFileName().toString();
        if (rejected.contains(folder)) {
            if (Files.exists(dir.resolve(REJECTED))) {
                return true;
            }
            rejected.remove(folder); // the operator fixed the ids and removed the file
        }
        ScanJournal journal = journal(folder);
        if (journal.finished()) {
            if (options.onFinish() == OnFinish.DELETE && Files.exists(dir)) {
                deleteTree(dir); // a crash came between the journal and the delete
            }
            return true;
        }
        boolean complete =
                Files.exists(dir.resolve(END_MARKER)) || Files.exists(dir.resolve(MANIFEST));
        List<Path> ready = new ArrayList<>();
        boolean waiting = false;
        long now = System.nanoTime();
        List<Candidate> candidates = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                String name = f.getFileName().toString();
                if (hidden(f) || !Files.isRegularFile(f) || journal.wasSent(name)) {
                    continue;
                }
                if (!isCrop(name)) {
                    if (!isControlFile(name) && reportedIgnored.add(f)) {
                        listener.warning(
                                folder,
                                "ignoring file " + LogIds.ref(name) + ": not an image file name");
                    }
                    continue;
                }
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(f, BasicFileAttributes.class);
                } catch (IOException gone) {
                    continue; // renamed or removed under us: the next pass sees what is there
                }
                candidates.add(new Candidate(f, a.size(), a.lastModifiedTime().toMillis()));
            }
        }
        candidates.sort(
                Comparator.comparingLong(Candidate::modified)
                        .thenComparing(c -> c.path().getFileName().toString()));
        for (Candidate c : candidates) {
            if (complete || settled(c, now)) {
                ready.add(c.path());
                unsettled.remove(c.path());
            } else {
                waiting = true;
            }
        }
        if (!ready.isEmpty()) {
            if (journal.ids() == null) {
                try {
                    start(dir, folder, journal);
                } catch (RejectedScan r) {
                    reject(dir, folder, r.getMessage());
                    return true;
                }
            }
            for (int i = 0; i < ready.size(); i += options.batch()) {
                sendBatch(
                        folder,
                        journal,
                        ready.subList(i, Math.min(ready.size(), i + options.batch())));
            }
        }
        if (complete && !waiting) {
            finish(dir, folder, journal);
            return true;
        }
        return false;
    }

    private record Candidate(Path path, long size, long modified) {}

    private boolean settled(Candidate c, long now) {
        if (options.settle().isZero()) {
            return true;
        }
        Seen seen = unsettled.get(c.path());
        if (seen == null || seen.size() != c.size() || seen.modified() != c.modified()) {
            unsettled.put(c.path(), new Seen(c.size(), c.modified(), now));
            return false;
        }
        return now - seen.sinceNanos() >= options.settle().toNanos();
    }

    private ScanJournal journal(String folder) throws IOException {
        ScanJournal j = journals.get(folder);
        if (j == null) {
            j =
                    ScanJournal.open(
                            options.stateDir()
                                    .resolve(
                                            URLEncoder.encode(folder, StandardCharsets.UTF_8)
                                                    + ".journal"));
            journals.put(folder, j);
        }
        return j;
    }

    /** Leaves a folder with ids against the rules alone, and says why in it. */
    private void reject(Path dir, String folder, String reason) throws IOException {
        rejected.add(folder);
        Files.writeString(
                dir.resolve(REJECTED),
                "not produced: " + reason + System.lineSeparator(),
                StandardCharsets.UTF_8);
        listener.warning(folder, "scan folder rejected: " + reason);
    }

    private void start(Path dir, String folder, ScanJournal journal)
            throws IOException, InterruptedException, RejectedScan {
        Properties p = new Properties();
        Path props = dir.resolve(PROPERTIES);
        if (Files.isRegularFile(props)) {
            try (InputStream in = Files.newInputStream(props)) {
                p.load(in);
            }
        }
        Double mpp = null;
        String m = p.getProperty("micronsPerPixel");
        if (m != null && !m.isBlank()) {
            try {
                mpp = Double.valueOf(m.trim());
            } catch (NumberFormatException e) {
                listener.warning(folder, PROPERTIES + ": micronsPerPixel is not a number: " + m);
            }
        }
        ScanJournal.Ids ids =
                new ScanJournal.Ids(
                        checked("specimenId", p.getProperty("specimenId", folder)),
                        checked("scanId", p.getProperty("scanId", folder)),
                        checked("scannerId", p.getProperty("scannerId", options.scannerId())),
                        mpp);
        ScanEvent ev =
                new ScanEvent(
                        ids.scanId(),
                        ids.specimenId(),
                        ids.scannerId(),
                        ScanEventType.STARTED,
                        Instant.now(),
                        null);
        await(List.of(sender.scanEvent(ev)), folder);
        journal.recordStarted(ids);
        metrics.scanEvents("watch", ev.getType().name()).increment();
    }

    private String checked(String field, String raw) throws RejectedScan {
        IdRules.Check c = idRules.check(field, raw);
        if (!c.ok()) {
            throw new RejectedScan(c.reason());
        }
        return c.value();
    }

    private void sendBatch(String folder, ScanJournal journal, List<Path> files)
            throws IOException, InterruptedException {
        ScanJournal.Ids ids = journal.ids();
        List<CompletableFuture<?>> acks = new ArrayList<>();
        List<String> names = new ArrayList<>();
        Set<String> deadLettered = new HashSet<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            String cellId = ids.scannerId() + "/" + ids.scanId() + "/" + name;
            IdRules.Check cell = idRules.check("cellId", cellId);
            long size = Files.size(f);
            if (!cell.ok()) {
                // The file name makes an id against the rules: a dead letter with the reason,
                // the file left in place, and the scan still counts it.
                acks.add(
                        sender.deadLetter(
                                DeadLetters.of(
                                        DeadLetterReason.INVALID_ID,
                                        cell.reason() + " (built from the file name); not sent",
                                        STAGE,
                                        new SourceRecord(
                                                Topics.CELLS_RAW.name(),
                                                -1,
                                                -1,
                                                System.currentTimeMillis(),
                                                ids.specimenId().getBytes(StandardCharsets.UTF_8),
                                                null),
                                        null,
                                        ids.specimenId(),
                                        Instant.now())));
                deadLettered.add(name);
            } else if (size > options.maxCropBytes()) {
                // Too large to carry through Kafka: the dead letter says where the file is
                // instead of holding its bytes. The scan still counts it, so the job knows it
                // will never arrive.
                acks.add(
                        sender.deadLetter(
                                DeadLetters.of(
                                        DeadLetterReason.IMAGE_TOO_LARGE,
                                        "file "
                                                + options.root().relativize(f)
                                                + " is "
                                                + size
                                                + " bytes, over the watch folder's limit of "
                                                + options.maxCropBytes()
                                                + "; not sent, left in place",
                                        STAGE,
                                        new SourceRecord(
                                                Topics.CELLS_RAW.name(),
                                                -1,
                                                -1,
                                                System.currentTimeMillis(),
                                                ids.specimenId().getBytes(StandardCharsets.UTF_8),
                                                null),
                                        cellId,
                                        ids.specimenId(),
                                        Instant.now())));
                deadLettered.add(name);
            } else {
                byte[] bytes = Files.readAllBytes(f);
                CellCrop crop =
                        CellCrop.newBuilder()
                                .setCellId(cellId)
                                .setSpecimenId(ids.specimenId())
                                .setScanId(ids.scanId())
                                .setScannerId(ids.scannerId())
                                .setCaptureTime(Files.getLastModifiedTime(f).toInstant())
                                .setImage(ByteBuffer.wrap(bytes))
                                .setEncoding(encodingOf(name))
                                // the gate reads the real size from the header
                                .setWidth(0)
                                .setHeight(0)
                                .setMicronsPerPixel(ids.micronsPerPixel())
                                .build();
                acks.add(sender.crop(crop));
            }
            names.add(name);
        }
        await(acks, folder);
        listener.acknowledged(folder, names);
        journal.recordSent(names, deadLettered);
        sentCrops.increment(names.size() - deadLettered.size());
        deadLetteredCrops.increment(deadLettered.size());
        produced += names.size();
        listener.recorded(folder, journal.sentCount());
    }

    private void finish(Path dir, String folder, ScanJournal journal)
            throws IOException, InterruptedException {
        if (journal.ids() == null) {
            try {
                start(dir, folder, journal); // a scan without crops still starts and finishes
            } catch (RejectedScan r) {
                reject(dir, folder, r.getMessage());
                return;
            }
        }
        int count = journal.sentCount();
        checkDeclaredCount(dir, folder, count);
        ScanJournal.Ids ids = journal.ids();
        ScanEvent ev =
                new ScanEvent(
                        ids.scanId(),
                        ids.specimenId(),
                        ids.scannerId(),
                        ScanEventType.FINISHED,
                        Instant.now(),
                        count);
        await(List.of(sender.scanEvent(ev)), folder);
        journal.recordFinished(count);
        metrics.scanEvents("watch", ev.getType().name()).increment();
        listener.finished(folder, ids.specimenId(), count);
        if (options.onFinish() == OnFinish.DELETE) {
            deleteTree(dir);
        }
    }

    /** Compares what the scanner says it wrote with what was produced; a mismatch is reported. */
    private void checkDeclaredCount(Path dir, String folder, int produced) throws IOException {
        Path manifest = dir.resolve(MANIFEST);
        if (Files.isRegularFile(manifest)) {
            Set<String> listed = new LinkedHashSet<>();
            for (String line : Files.readAllLines(manifest, StandardCharsets.UTF_8)) {
                String name = line.split(",", 2)[0].trim().replace("\uFEFF", "");
                if (name.isEmpty()
                        || name.startsWith("#")
                        || name.equalsIgnoreCase("file")
                        || name.equalsIgnoreCase("path")) {
                    continue;
                }
                listed.add(name);
            }
            ScanJournal journal = journal(folder);
            List<String> missing = listed.stream().filter(n -> !journal.wasSent(n)).toList();
            if (!missing.isEmpty()) {
                listener.warning(
                        folder,
                        "the manifest lists "
                                + missing.size()
                                + " file(s) that were not found: "
                                + missing.subList(0, Math.min(5, missing.size())).stream()
                                        .map(LogIds::ref)
                                        .toList());
            }
            if (listed.size() != produced) {
                listener.warning(
                        folder,
                        "the manifest lists " + listed.size() + " crops; produced " + produced);
            }
        }
        Path end = dir.resolve(END_MARKER);
        if (Files.isRegularFile(end)) {
            String text = Files.readString(end, StandardCharsets.UTF_8).trim();
            if (!text.isEmpty()) {
                try {
                    int declared = Integer.parseInt(text);
                    if (declared != produced) {
                        listener.warning(
                                folder,
                                END_MARKER
                                        + " declares "
                                        + declared
                                        + " crops; produced "
                                        + produced);
                    }
                } catch (NumberFormatException e) {
                    // an end marker may hold anything; only a number is checked
                }
            }
        }
    }

    private static void await(List<CompletableFuture<?>> acks, String folder)
            throws IOException, InterruptedException {
        try {
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new IOException(
                    "scan folder " + folder + ": Kafka refused a record: " + cause.getMessage(),
                    cause);
        }
    }

    /** Whether a file name is one the feeds take as a crop (by extension). */
    public static boolean isCrop(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0
                && IMAGE_EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static boolean isControlFile(String name) {
        return name.equals(END_MARKER)
                || name.equals(MANIFEST)
                || name.equals(PROPERTIES)
                || name.equals(REJECTED);
    }

    private static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    /** The encoding a crop file name suggests; the gate checks it against the bytes. */
    public static ImageEncoding encodingOf(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".jpg") || n.endsWith(".jpeg")) {
            return ImageEncoding.JPEG;
        }
        if (n.endsWith(".png")) {
            return ImageEncoding.PNG;
        }
        if (n.endsWith(".bmp")) {
            return ImageEncoding.BMP;
        }
        if (n.endsWith(".tif") || n.endsWith(".tiff")) {
            return ImageEncoding.TIFF;
        }
        return ImageEncoding.UNKNOWN;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
