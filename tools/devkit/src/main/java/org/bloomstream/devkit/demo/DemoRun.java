package org.bloomstream.devkit.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.bloomstream.devkit.embedded.EmbeddedRuntime;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.feed.FeedProducer;
import org.bloomstream.devkit.feed.SpecimenProfile;
import org.bloomstream.devkit.replay.LabelledFolder;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.inference.typing.CellTypeHead;
import org.bloomstream.job.JobConfig;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.SpecimenReport;

/**
 * The demo: starts the embedded runtime, feeds it a synthetic scanner room (or a folder of real
 * crops), follows the outputs until every crop is accounted for and every specimen reported, and
 * prints a summary whose last line is {@code SUMMARY {json}}.
 */
public final class DemoRun {

    /**
     * @param seed synthetic scanner seed
     * @param specimens synthetic specimens
     * @param cellsPerSpecimen crops per synthetic specimen
     * @param badFraction fraction of broken synthetic crops
     * @param rate emissions per second, 0 for unpaced
     * @param cropsDir replay this labelled folder instead of the synthetic scanner
     * @param timeout give up after this long
     * @param workDir where the broker and gate keep their files (deleted at the end)
     * @param job the job configuration given the broker address
     * @param livePort port of the live page on loopback, 0 for any free port, negative for none
     * @param linger keep the live page (and the runtime) up this long after the run
     * @param stainShift one synthetic scanner's stain shifts mid-run (null: none), to show the
     *     drift watch
     */
    public record Options(
            long seed,
            int specimens,
            int cellsPerSpecimen,
            double badFraction,
            double rate,
            Path cropsDir,
            Duration timeout,
            Path workDir,
            Function<String, JobConfig> job,
            int livePort,
            Duration linger,
            SyntheticScanner.StainShift stainShift) {
        public Options(
                long seed,
                int specimens,
                int cellsPerSpecimen,
                double badFraction,
                double rate,
                Path cropsDir,
                Duration timeout,
                Path workDir,
                Function<String, JobConfig> job) {
            this(
                    seed,
                    specimens,
                    cellsPerSpecimen,
                    badFraction,
                    rate,
                    cropsDir,
                    timeout,
                    workDir,
                    job,
                    0,
                    Duration.ZERO,
                    null);
        }
    }

    /**
     * Where a caller (a browser test) joins in. Both run on the demo's thread.
     *
     * <p>{@link #liveStarted} comes after the runtime and the live page are up and before the first
     * crop is sent; {@link #finished} after the summary is known and before the runtime closes, so
     * the page still shows the final state while it runs.
     */
    public interface Hooks {
        default void liveStarted(URI page) throws Exception {}

        default void finished() throws Exception {}
    }

    private static final Hooks NO_HOOKS = new Hooks() {};

    /** The outcome; {@link #ok()} decides the exit code. */
    public record Result(Map<String, Object> summary, boolean ok) {}

    private final Options options;
    private final PrintStream out;
    private final Hooks hooks;

    public DemoRun(Options options, PrintStream out) {
        this(options, out, NO_HOOKS);
    }

    public DemoRun(Options options, PrintStream out, Hooks hooks) {
        this.options = options;
        this.out = out;
        this.hooks = hooks;
    }

    public Result run() throws Exception {
        long t0 = System.nanoTime();
        Iterable<Emission> feed;
        Map<String, String> truth = new LinkedHashMap<>();
        long cropsExpected;
        int specimens;
        if (options.cropsDir() != null) {
            LabelledFolder folder = LabelledFolder.open(options.cropsDir(), Instant.now());
            feed = folder;
            cropsExpected = folder.crops();
            specimens = folder.specimens().size();
            out.printf(
                    "replaying %d crops of %d specimens from %s%n",
                    cropsExpected, specimens, options.cropsDir());
        } else {
            SyntheticScanner scanner =
                    new SyntheticScanner(
                                    SyntheticScanner.Config.of(
                                                    options.seed(),
                                                    options.specimens(),
                                                    options.cellsPerSpecimen())
                                            .withBadFraction(options.badFraction())
                                            .withStartTime(Instant.now()))
                            .withStainShift(options.stainShift());
            scanner.specimens().forEach((id, p) -> truth.put(id, p.label()));
            feed = scanner;
            cropsExpected = scanner.totalCrops();
            specimens = options.specimens();
            out.printf(
                    "synthetic scanner: %d specimens x %d crops (seed %d, %.1f%% broken on purpose)%n",
                    specimens,
                    options.cellsPerSpecimen(),
                    options.seed(),
                    options.badFraction() * 100);
        }

        out.println("starting embedded Kafka (KRaft), ingest gate and Flink MiniCluster ...");
        Files.createDirectories(options.workDir());
        ExecutorService feeder = Executors.newSingleThreadExecutor();
        int metricsPort = EmbeddedRuntime.freePort();
        try (EmbeddedRuntime runtime =
                        EmbeddedRuntime.start(
                                new EmbeddedRuntime.Options(
                                        4,
                                        options.job(),
                                        true,
                                        options.workDir(),
                                        metricsPort,
                                        options.livePort()));
                OutputTally tally = new OutputTally(runtime.bootstrapServers());
                FeedProducer producer = new FeedProducer(runtime.bootstrapServers())) {
            JobConfig cfg = runtime.jobConfig();
            out.printf(
                    "broker %s | job parallelism %d | embedder %s | batch %d / %d ms%n",
                    runtime.bootstrapServers(),
                    cfg.parallelism(),
                    cfg.embedderModel().getFileName(),
                    cfg.batch().maxBatch(),
                    cfg.batch().maxDelay().toMillis());
            out.printf("metrics (Prometheus): http://127.0.0.1:%d/metrics%n", metricsPort);
            java.util.Optional<URI> page = runtime.liveUri();
            if (page.isPresent()) {
                out.printf("live page (dashboard): %s%n", page.get());
                hooks.liveStarted(page.get());
            }
            AtomicLong emitted = new AtomicLong();
            Future<FeedProducer.Sent> sending =
                    feeder.submit(() -> producer.send(feed, options.rate(), emitted::set));

            long deadline = System.nanoTime() + options.timeout().toNanos();
            FeedProducer.Sent sent = null;
            OutputTally.Snapshot s;
            long lastPrint = 0;
            while (true) {
                if (sent == null && sending.isDone()) {
                    sent = sending.get();
                }
                runtime.checkJobAlive();
                s = tally.snapshot();
                long now = System.nanoTime();
                boolean done =
                        sent != null
                                && s.classified() + s.deadCrops() >= sent.cropsIn()
                                && s.reports().size() >= specimens
                                && s.fhirBundles().size() >= specimens
                                // the summary counts alerts: wait for those the reports name
                                && s.alertsOfReportsArrived();
                if (done || now - lastPrint > 2_000_000_000L) {
                    lastPrint = now;
                    out.printf(
                            Locale.ROOT,
                            "[%6.1fs] sent %d/%d crops | classified %d | dead letters %d | alerts %d | reports %d/%d%n",
                            (now - t0) / 1e9,
                            emitted.get(),
                            cropsExpected,
                            s.classified(),
                            s.deadCrops(),
                            s.alerts().size(),
                            s.reports().size(),
                            specimens);
                }
                if (done) {
                    break;
                }
                if (now > deadline) {
                    out.printf("timed out after %s%n", options.timeout());
                    break;
                }
                Thread.sleep(250);
            }
            long cellsIn = sent != null ? sent.cropsIn() : emitted.get();
            double wall = (System.nanoTime() - t0) / 1e9;
            printSpecimens(s, truth);
            Map<String, Object> summary = summary(s, truth, cellsIn, specimens, wall);
            boolean ok =
                    cellsIn == s.classified() + s.deadCrops()
                            && s.duplicateCells() == 0
                            && s.duplicateReports() == 0
                            && s.reports().size() == specimens;
            if (!ok) {
                out.println("NOT OK: some crops or specimens are unaccounted for, or doubled");
            }
            if (page.isPresent() && options.linger().compareTo(Duration.ZERO) > 0) {
                out.printf(
                        "the live page stays up at %s for %d s (--linger-s) ...%n",
                        page.get(), options.linger().toSeconds());
                Thread.sleep(options.linger().toMillis());
            }
            hooks.finished();
            return new Result(summary, ok);
        } finally {
            feeder.shutdownNow();
            feeder.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private void printSpecimens(OutputTally.Snapshot s, Map<String, String> truth) {
        Map<String, AmlAlert> firstAlert = new LinkedHashMap<>();
        for (AmlAlert a : s.alerts()) {
            firstAlert.putIfAbsent(a.getSpecimenId(), a);
        }
        int shown = 0;
        out.printf(
                "%n%-16s %-15s %-15s %6s %6s  %s%n",
                "specimen", "truth", "call", "p", "cells", "first alert");
        for (SpecimenReport r : s.reports().values()) {
            if (shown++ >= 20) {
                out.printf("... and %d more specimens%n", s.reports().size() - 20);
                break;
            }
            float p =
                    r.getProbabilities().stream()
                            .filter(lp -> lp.getLabel().equals(r.getCall()))
                            .map(lp -> lp.getProbability())
                            .findFirst()
                            .orElse(0f);
            AmlAlert a = firstAlert.get(r.getSpecimenId());
            out.printf(
                    Locale.ROOT,
                    "%-16s %-15s %-15s %6.3f %6d  %s%n",
                    r.getSpecimenId(),
                    truth.getOrDefault(r.getSpecimenId(), "-"),
                    r.getCall(),
                    p,
                    r.getCellCount(),
                    a == null ? "-" : a.getSubtype() + " after " + a.getCellCount() + " cells");
        }
        out.println();
        if (!s.deadByReason().isEmpty()) {
            out.println("dead letters by reason: " + s.deadByReason());
        }
        out.println("cell types: " + s.cellTypes());
    }

    private Map<String, Object> summary(
            OutputTally.Snapshot s,
            Map<String, String> truth,
            long cellsIn,
            int specimens,
            double wall) {
        long alertedSubtype = 0;
        long alertedControls = 0;
        long correctAlerts = 0;
        java.util.Set<String> alerted = new java.util.HashSet<>();
        for (AmlAlert a : s.alerts()) {
            if (!alerted.add(a.getSpecimenId())) {
                continue;
            }
            String t = truth.get(a.getSpecimenId());
            if (t == null) {
                continue;
            }
            if (t.equals(SpecimenProfile.CONTROL.label())) {
                alertedControls++;
            } else {
                alertedSubtype++;
                if (t.equals(a.getSubtype())) {
                    correctAlerts++;
                }
            }
        }
        long correctCalls = 0;
        for (SpecimenReport r : s.reports().values()) {
            if (r.getCall().equals(truth.get(r.getSpecimenId()))) {
                correctCalls++;
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cells_in", cellsIn);
        m.put("cells_classified", s.classified());
        // Classified, but typed "unknown" (low confidence or out of distribution).
        m.put("cells_unknown", s.cellTypes().getOrDefault(CellTypeHead.UNKNOWN, 0L));
        m.put("dead_letters", s.deadCrops());
        m.put("duplicates", s.duplicateCells());
        m.put("specimens", specimens);
        m.put("alerts", s.alerts().size());
        m.put("reports", s.reports().size());
        m.put("fhir_reports", s.fhirBundles().size());
        if (!truth.isEmpty()) {
            long subtypeSpecimens =
                    truth.values().stream()
                            .filter(t -> !t.equals(SpecimenProfile.CONTROL.label()))
                            .count();
            m.put("subtype_specimens", subtypeSpecimens);
            m.put("subtype_specimens_alerted", alertedSubtype);
            m.put("alerts_with_correct_subtype", correctAlerts);
            m.put("controls_alerted", alertedControls);
            m.put("reports_with_correct_call", correctCalls);
        }
        if (s.withReference() > 0) {
            m.put("cells_with_reference_label", s.withReference());
            m.put("cells_agreeing_with_reference_label", s.agreeWithReference());
        }
        m.put("dead_letters_by_reason", s.deadByReason());
        m.put("wall_seconds", Math.round(wall * 10) / 10.0);
        long peakRss = peakRssKb();
        if (peakRss > 0) {
            m.put("peak_rss_mb", peakRss / 1024);
        }
        m.put("cells_per_second", Math.round(s.classified() / wall * 10) / 10.0);
        return m;
    }

    /** This process's peak resident set size (Linux {@code VmHWM}), or -1 where unknown. */
    static long peakRssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            // not Linux: the summary simply has no peak_rss_mb
        }
        return -1;
    }

    public static String summaryLine(Map<String, Object> summary) throws Exception {
        return "SUMMARY " + new ObjectMapper().writeValueAsString(summary);
    }
}
