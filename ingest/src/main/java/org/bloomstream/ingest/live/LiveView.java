package org.bloomstream.ingest.live;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.AttendedCells;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.LabelProbability;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;
import org.bloomstream.schemas.avro.ScannerDrift;
import org.bloomstream.schemas.avro.SpecimenPhase;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.avro.SpecimenStatus;
import org.bloomstream.schemas.avro.TypeCount;

/**
 * What the lab page shows, built from the pipeline's topics: open specimens with their progress,
 * differential, current subtype probabilities, alerts and most attended cells (as thumbnails), and
 * the specimens reported most recently.
 *
 * <p>Sources: {@code scans.events} (a scan started or finished, the expected count), {@code
 * cells.classified} (live cell counts and differential between statuses), {@code specimens.status}
 * (probabilities, most attended cells, the MIL's counts), {@code alerts.aml}, {@code
 * specimens.reports} (the close), {@code cells.accepted} (the images, for thumbnails) and {@code
 * scanners.drift} (the latest drift record of each scanner). Records are fed in by {@link
 * LiveViewConsumer}; every method is synchronized, so the HTTP threads read consistent snapshots.
 *
 * <p><b>Thumbnails, and why this way.</b> The view cannot know, when a crop arrives on {@code
 * cells.accepted}, whether the MIL will ever rank it among the most attended: that comes later, on
 * a status. Decoding every crop into a thumbnail would cost the ingest service about one core at a
 * few thousand crops per second, for images nobody looks at. So the view keeps the encoded bytes of
 * the most recent crops of open specimens in a cache bounded in bytes ({@link
 * Limits#cropCacheBytes()}) and in crops per specimen ({@link Limits#cropsPerSpecimen()}), FIFO,
 * and decodes a crop only when a status or report lists it among the most attended: one small JPEG
 * ({@link Limits#thumbnailEdge()} pixels on the long edge, a few KB) per listed cell, at most C x k
 * per specimen, dropped when the cell leaves the lists. A listed cell whose crop already left the
 * cache (the pipeline lagged further behind than the cache reaches, or the view started after the
 * crop) has no thumbnail; the page shows its id instead. When a specimen's report arrives its
 * cached crops are dropped and the thumbnails of its final most attended cells are kept with the
 * report, for the {@link Limits#closedKept()} most recent reports.
 *
 * <p>Other bounds: at most {@link Limits#maxOpen()} open specimens (the least recently active is
 * dropped beyond that), an open specimen silent for {@link Limits#staleAfter()} is dropped (its
 * report never came, or the view started after it ended), and the {@link Limits#alertsKept()} most
 * recent alerts.
 */
public final class LiveView {
    /**
     * The view's bounds.
     *
     * @param maxOpen open specimens tracked at most
     * @param closedKept reported specimens kept on the page
     * @param alertsKept alerts kept in the feed
     * @param cropCacheBytes encoded crops kept for thumbnails, all specimens together
     * @param cropsPerSpecimen encoded crops kept per specimen
     * @param thumbnailEdge long edge of a thumbnail, pixels
     * @param staleAfter an open specimen with no record for this long is dropped
     */
    public record Limits(
            int maxOpen,
            int closedKept,
            int alertsKept,
            long cropCacheBytes,
            int cropsPerSpecimen,
            int thumbnailEdge,
            Duration staleAfter) {
        public static final Limits DEFAULT =
                new Limits(500, 50, 100, 64L << 20, 512, 96, Duration.ofMinutes(30));

        public Limits {
            if (maxOpen < 1
                    || closedKept < 0
                    || alertsKept < 0
                    || cropCacheBytes < 0
                    || cropsPerSpecimen < 0
                    || thumbnailEdge < 8) {
                throw new IllegalArgumentException("bad live view limits");
            }
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Limits limits;
    private final Clock clock;

    /** Open specimens by id, in the order they were first seen. */
    private final Map<String, Specimen> open = new LinkedHashMap<>();

    /** Reported specimens, oldest first. */
    private final Map<String, Specimen> closed = new LinkedHashMap<>();

    private final ArrayDeque<AmlAlert> alerts = new ArrayDeque<>();

    /**
     * The latest drift record of each scanner, by scanner id (a lab has a handful of scanners; at
     * most {@link #MAX_SCANNERS} are kept, the least recently heard dropped first).
     */
    private final LinkedHashMap<String, ScannerDrift> drift = new LinkedHashMap<>();

    static final int MAX_SCANNERS = 64;

    /** Encoded crops of open specimens, oldest first, by (specimen id, cell id). */
    private final LinkedHashMap<CellRef, byte[]> crops = new LinkedHashMap<>();

    private long cachedBytes;
    private long version;
    private long cellsClassified;
    private long skipped;

    /**
     * A cell: a cell id means something only with its specimen id (two patients' scanners may use
     * the same cell ids), so every map of cells here is keyed by both.
     */
    private record CellRef(String specimenId, String cellId) {}

    /** One specimen as the page shows it. */
    private static final class Specimen {
        final String id;
        String scanId = "";
        String scannerId = "";
        Instant startedAt;
        Instant finishedAt;
        Integer expected;
        long classified;
        final Map<String, Long> types = new TreeMap<>();
        SpecimenStatus status;
        SpecimenReport report;
        final List<AmlAlert> alerts = new ArrayList<>();
        long lastActivity;

        /** This specimen's cached crop ids, oldest first (a subsequence of the cache's order). */
        final ArrayDeque<String> cached = new ArrayDeque<>();

        /** The cells currently listed among the most attended, and their thumbnails. */
        Set<String> listed = Set.of();

        final Map<String, byte[]> thumbs = new HashMap<>();

        /** Listed cells whose crop could not be decoded: not tried again. */
        final Set<String> failed = new HashSet<>();

        Specimen(String id) {
            this.id = id;
        }
    }

    public LiveView() {
        this(Limits.DEFAULT, Clock.systemUTC());
    }

    public LiveView(Limits limits, Clock clock) {
        this.limits = limits;
        this.clock = clock;
    }

    /**
     * Takes one record of one of the view's topics. A value that cannot be read (another schema, a
     * foreign writer) is counted and skipped: the page must not stop for one bad record.
     */
    public void accept(String topic, byte[] value) {
        if (value == null) {
            return;
        }
        try {
            if (topic.equals(Topics.CELLS_CLASSIFIED.name())) {
                onClassified(Topics.CELLS_CLASSIFIED.deserializeValue(value));
            } else if (topic.equals(Topics.SPECIMEN_STATUS.name())) {
                onStatus(Topics.SPECIMEN_STATUS.deserializeValue(value));
            } else if (topic.equals(Topics.CELLS_ACCEPTED.name())) {
                onAccepted(Topics.CELLS_ACCEPTED.deserializeValue(value));
            } else if (topic.equals(Topics.SCAN_EVENTS.name())) {
                onScanEvent(Topics.SCAN_EVENTS.deserializeValue(value));
            } else if (topic.equals(Topics.ALERTS_AML.name())) {
                onAlert(Topics.ALERTS_AML.deserializeValue(value));
            } else if (topic.equals(Topics.SPECIMEN_REPORTS.name())) {
                onReport(Topics.SPECIMEN_REPORTS.deserializeValue(value));
            } else if (topic.equals(Topics.SCANNERS_DRIFT.name())) {
                onDrift(Topics.SCANNERS_DRIFT.deserializeValue(value));
            }
        } catch (RuntimeException e) {
            synchronized (this) {
                skipped++;
            }
        }
    }

    /** The topics {@link #accept} reads. */
    public static List<String> topics() {
        return List.of(
                Topics.SCAN_EVENTS.name(),
                Topics.CELLS_ACCEPTED.name(),
                Topics.CELLS_CLASSIFIED.name(),
                Topics.SPECIMEN_STATUS.name(),
                Topics.ALERTS_AML.name(),
                Topics.SPECIMEN_REPORTS.name(),
                Topics.SCANNERS_DRIFT.name());
    }

    // ---------------------------------------------------------------- inputs

    /**
     * Forgets everything, before the topics are read again from the lookback (a reconnect):
     * replaying into the old state would count every cell twice.
     */
    public synchronized void clear() {
        open.clear();
        closed.clear();
        alerts.clear();
        drift.clear();
        crops.clear();
        cachedBytes = 0;
        cellsClassified = 0;
        skipped = 0;
        version++;
    }

    public synchronized void onScanEvent(ScanEvent e) {
        Specimen s = openSpecimen(e.getSpecimenId());
        if (s == null) {
            return;
        }
        s.scanId = e.getScanId();
        s.scannerId = e.getScannerId();
        if (e.getType() == ScanEventType.STARTED) {
            s.startedAt = e.getEventTime();
        } else if (e.getType() == ScanEventType.FINISHED) {
            s.finishedAt = e.getEventTime();
            s.expected = e.getExpectedCells();
        }
        changed();
    }

    public synchronized void onClassified(ClassifiedCell c) {
        cellsClassified++;
        Specimen s = openSpecimen(c.getSpecimenId());
        if (s == null) {
            return;
        }
        if (s.scanId.isEmpty()) {
            s.scanId = c.getScanId();
        }
        s.classified++;
        s.types.merge(c.getCellType(), 1L, Long::sum);
        changed();
    }

    public synchronized void onAccepted(CellCrop c) {
        Specimen s = openSpecimen(c.getSpecimenId());
        if (s == null || limits.cropsPerSpecimen() == 0 || limits.cropCacheBytes() == 0) {
            return;
        }
        byte[] image = bytes(c.getImage());
        CellRef ref = new CellRef(s.id, c.getCellId());
        if (image.length > limits.cropCacheBytes() || crops.containsKey(ref)) {
            return;
        }
        crops.put(ref, image);
        cachedBytes += image.length;
        s.cached.addLast(c.getCellId());
        if (s.cached.size() > limits.cropsPerSpecimen()) {
            uncache(s.id, s.cached.pollFirst());
        }
        while (cachedBytes > limits.cropCacheBytes()) {
            CellRef eldest = crops.keySet().iterator().next();
            Specimen owner = open.get(eldest.specimenId());
            if (owner != null) {
                owner.cached.remove(eldest.cellId());
            }
            uncache(eldest.specimenId(), eldest.cellId());
        }
        // The status may have listed this cell before its crop arrived.
        if (s.listed.contains(c.getCellId())) {
            thumbnail(s, c.getCellId());
            changed();
        }
    }

    public synchronized void onStatus(SpecimenStatus st) {
        Specimen s = openSpecimen(st.getSpecimenId());
        if (s == null) {
            return;
        }
        if (s.status != null && st.getSequence() <= s.status.getSequence()) {
            return; // an older status (a replay); keep the newer one
        }
        s.status = st;
        if (!st.getScanId().isEmpty()) {
            s.scanId = st.getScanId();
        }
        if (st.getExpectedCells() != null) {
            s.expected = st.getExpectedCells();
        }
        list(s, st.getTopAttended());
        changed();
    }

    public synchronized void onAlert(AmlAlert a) {
        alerts.addFirst(a);
        while (alerts.size() > limits.alertsKept()) {
            alerts.pollLast();
        }
        Specimen s = open.get(a.getSpecimenId());
        if (s == null) {
            s = closed.get(a.getSpecimenId());
        }
        if (s == null) {
            s = openSpecimen(a.getSpecimenId());
        }
        if (s != null && s.alerts.stream().noneMatch(x -> x.getAlertId().equals(a.getAlertId()))) {
            s.alerts.add(a);
            s.lastActivity = clock.millis();
        }
        changed();
    }

    public synchronized void onReport(SpecimenReport r) {
        Specimen s = open.remove(r.getSpecimenId());
        if (s == null) {
            s = closed.remove(r.getSpecimenId());
        }
        if (s == null) {
            s = new Specimen(r.getSpecimenId());
        }
        s.report = r;
        s.scanId = r.getScanId();
        if (r.getExpectedCells() != null) {
            s.expected = r.getExpectedCells();
        }
        s.lastActivity = clock.millis();
        list(s, r.getTopAttended());
        // Closed: the crops it still has in the cache are of no more use.
        while (!s.cached.isEmpty()) {
            uncache(s.id, s.cached.pollFirst());
        }
        closed.put(s.id, s);
        while (closed.size() > limits.closedKept()) {
            Iterator<String> it = closed.keySet().iterator();
            it.next();
            it.remove();
        }
        changed();
    }

    // ---------------------------------------------------------------- outputs

    /**
     * The thumbnail (JPEG) of a listed cell of this specimen, or null. Never another specimen's:
     * the same cell id in two specimens is two cells.
     */
    public synchronized byte[] thumbnail(String specimenId, String cellId) {
        Specimen s = open.get(specimenId);
        if (s == null) {
            s = closed.get(specimenId);
        }
        return s == null ? null : s.thumbs.get(cellId);
    }

    /** Bumped on every change; the page skips redrawing while it stays the same. */
    public synchronized long version() {
        return version;
    }

    /** Encoded crops held for thumbnails, in bytes. */
    public synchronized long cachedBytes() {
        return cachedBytes;
    }

    /** Crops held for thumbnails. */
    public synchronized int cachedCrops() {
        return crops.size();
    }

    /** Thumbnails held, all specimens together. */
    public synchronized int thumbnails() {
        int n = 0;
        for (Specimen s : open.values()) {
            n += s.thumbs.size();
        }
        for (Specimen s : closed.values()) {
            n += s.thumbs.size();
        }
        return n;
    }

    /** The latest drift record of a scanner; an older one (by cells seen) is ignored. */
    public synchronized void onDrift(ScannerDrift d) {
        ScannerDrift old = drift.get(d.getScannerId());
        if (old != null && old.getCellsSeen() > d.getCellsSeen()) {
            return;
        }
        drift.remove(d.getScannerId());
        drift.put(d.getScannerId(), d);
        if (drift.size() > MAX_SCANNERS) {
            drift.remove(drift.keySet().iterator().next());
        }
        changed();
    }

    /** Everything the page shows, as JSON. */
    public synchronized ObjectNode snapshot() {
        dropStale();
        ObjectNode root = JSON.createObjectNode();
        root.put("version", version);
        root.put("generatedAt", Instant.ofEpochMilli(clock.millis()).toString());
        ObjectNode counts = root.putObject("counts");
        counts.put("open", open.size());
        counts.put("reported", closed.size());
        counts.put("alerts", alerts.size());
        counts.put("cellsClassified", cellsClassified);
        counts.put("skippedRecords", skipped);
        ArrayNode specimens = root.putArray("specimens");
        for (Specimen s : open.values()) {
            specimens.add(json(s));
        }
        List<Specimen> reported = new ArrayList<>(closed.values());
        reported.sort(Comparator.comparing((Specimen s) -> s.report.getReportTime()).reversed());
        for (Specimen s : reported) {
            specimens.add(json(s));
        }
        ArrayNode scanners = root.putArray("scanners");
        drift.values().stream()
                .sorted(Comparator.comparing(ScannerDrift::getScannerId))
                .forEach(d -> scanners.add(json(d)));
        ArrayNode feed = root.putArray("alerts");
        for (AmlAlert a : alerts) {
            feed.add(json(a));
        }
        return root;
    }

    // ---------------------------------------------------------------- internals

    private void changed() {
        version++;
    }

    /** The open specimen, created if new; null if it has been reported already. */
    private Specimen openSpecimen(String id) {
        if (id == null || closed.containsKey(id)) {
            return null;
        }
        Specimen s = open.get(id);
        if (s == null) {
            if (open.size() >= limits.maxOpen()) {
                open.values().stream()
                        .min(Comparator.comparingLong(x -> x.lastActivity))
                        .ifPresent(this::drop);
            }
            s = new Specimen(id);
            open.put(id, s);
        }
        s.lastActivity = clock.millis();
        return s;
    }

    private void drop(Specimen s) {
        open.remove(s.id);
        while (!s.cached.isEmpty()) {
            uncache(s.id, s.cached.pollFirst());
        }
    }

    private void dropStale() {
        long cutoff = clock.millis() - limits.staleAfter().toMillis();
        for (Specimen s : new ArrayList<>(open.values())) {
            if (s.lastActivity < cutoff) {
                drop(s);
                changed();
            }
        }
    }

    private void uncache(String specimenId, String cellId) {
        byte[] image = crops.remove(new CellRef(specimenId, cellId));
        if (image != null) {
            cachedBytes -= image.length;
        }
    }

    /** Makes the most attended cells the listed ones: thumbnails for new ones, drops the rest. */
    private void list(Specimen s, List<AttendedCells> attended) {
        Set<String> ids = new HashSet<>();
        for (AttendedCells a : attended) {
            ids.addAll(a.getCellIds());
        }
        s.listed = ids;
        s.thumbs.keySet().retainAll(ids);
        s.failed.retainAll(ids);
        for (String id : ids) {
            thumbnail(s, id);
        }
    }

    private void thumbnail(Specimen s, String cellId) {
        if (s.thumbs.containsKey(cellId) || s.failed.contains(cellId)) {
            return;
        }
        byte[] image = crops.get(new CellRef(s.id, cellId));
        if (image == null) {
            return;
        }
        byte[] t = Thumbnails.jpeg(image, limits.thumbnailEdge());
        if (t == null) {
            s.failed.add(cellId);
        } else {
            s.thumbs.put(cellId, t);
        }
    }

    private ObjectNode json(Specimen s) {
        ObjectNode n = JSON.createObjectNode();
        SpecimenStatus st = s.status;
        SpecimenReport r = s.report;
        n.put("id", s.id);
        n.put("scanId", s.scanId);
        n.put("scannerId", s.scannerId);
        String phase;
        if (r != null) {
            phase = "REPORTED";
        } else if (s.finishedAt != null
                || (st != null && st.getPhase() == SpecimenPhase.SCAN_FINISHED)) {
            phase = "SCAN_FINISHED";
        } else {
            phase = "SCANNING";
        }
        n.put("phase", phase);
        putTime(n, "startedAt", s.startedAt);
        putTime(n, "finishedAt", s.finishedAt);
        n.put("lastActivity", Instant.ofEpochMilli(s.lastActivity).toString());

        long milCells = r != null ? r.getCellCount() : st != null ? st.getCellCount() : 0;
        long cells = Math.max(milCells, s.classified);
        long lost =
                r != null ? r.getDeadLetteredCells() : st != null ? st.getDeadLetteredCells() : 0;
        n.put("cells", cells);
        n.put("deadLettered", lost);
        if (s.expected != null) {
            n.put("expected", s.expected);
            n.put(
                    "progress",
                    s.expected == 0 ? 1.0 : Math.min(1.0, (cells + lost) / (double) s.expected));
        } else {
            n.putNull("expected");
            n.putNull("progress");
        }

        // Probabilities and the call: the report when closed, else the latest status.
        List<LabelProbability> probs =
                r != null ? r.getProbabilities() : st != null ? st.getProbabilities() : List.of();
        String call = r != null ? r.getCall() : st != null ? st.getCall() : null;
        int minCells = st != null ? st.getMinCells() : 0;
        n.put("minCells", minCells);
        n.put("provisional", r == null && milCells < minCells);
        if (call == null || probs.isEmpty()) {
            n.putNull("call");
        } else {
            n.put("call", call);
            probs.stream()
                    .filter(lp -> lp.getLabel().equals(call))
                    .findFirst()
                    .ifPresent(lp -> n.put("callProbability", lp.getProbability()));
        }
        ArrayNode p = n.putArray("probabilities");
        for (LabelProbability lp : probs) {
            p.addObject().put("label", lp.getLabel()).put("p", lp.getProbability());
        }

        // The differential: counted live from cells.classified when the view saw at least as
        // many cells as the MIL state had counted, else the MIL's own (the view started late).
        ArrayNode diff = n.putArray("differential");
        if (r != null || (st != null && st.getCellCount() > s.classified)) {
            List<TypeCount> tcs = r != null ? r.getDifferential() : st.getDifferential();
            for (TypeCount tc : tcs) {
                diff.addObject().put("type", tc.getCellType()).put("count", tc.getCount());
            }
        } else {
            s.types.entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(
                            e ->
                                    diff.addObject()
                                            .put("type", e.getKey())
                                            .put("count", e.getValue()));
        }

        ArrayNode al = n.putArray("alerts");
        for (AmlAlert a : s.alerts) {
            al.add(json(a));
        }
        List<AttendedCells> attended =
                r != null ? r.getTopAttended() : st != null ? st.getTopAttended() : List.of();
        ArrayNode top = n.putArray("topAttended");
        for (AttendedCells a : attended) {
            ObjectNode t = top.addObject();
            t.put("label", a.getLabel());
            ArrayNode cells2 = t.putArray("cells");
            for (String id : a.getCellIds()) {
                cells2.addObject().put("id", id).put("thumbnail", s.thumbs.containsKey(id));
            }
        }
        if (r != null) {
            n.put("closeReason", r.getCloseReason().name());
            n.put("reportedAt", r.getReportTime().toString());
        }
        n.put("statusSequence", st == null ? 0 : st.getSequence());
        return n;
    }

    private static ObjectNode json(ScannerDrift d) {
        ObjectNode n = JSON.createObjectNode();
        n.put("scannerId", d.getScannerId());
        n.put("cellsSeen", d.getCellsSeen());
        n.put("windowCells", d.getWindowCells());
        n.put("mmd2", d.getMmd2());
        n.put("threshold", d.getMmd2Threshold());
        if (d.getSimilarityDrop() != null) {
            n.put("similarityDrop", d.getSimilarityDrop());
        }
        n.put("unknownRate", d.getUnknownRate());
        n.put("referenceUnknownRate", d.getReferenceUnknownRate());
        n.put("alert", d.getAlert());
        if (d.getReason() != null) {
            n.put("reason", d.getReason());
        }
        putTime(n, "lastCaptureTime", d.getLastCaptureTime());
        return n;
    }

    private static ObjectNode json(AmlAlert a) {
        ObjectNode n = JSON.createObjectNode();
        n.put("alertId", a.getAlertId());
        n.put("specimenId", a.getSpecimenId());
        n.put("subtype", a.getSubtype());
        n.put("version", a.getVersion());
        n.put("probability", a.getProbability());
        n.put("cellCount", a.getCellCount());
        n.put("alertTime", a.getAlertTime().toString());
        return n;
    }

    private static void putTime(ObjectNode n, String field, Instant t) {
        if (t == null) {
            n.putNull(field);
        } else {
            n.put(field, t.toString());
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }
}
