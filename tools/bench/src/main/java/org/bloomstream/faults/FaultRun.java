package org.bloomstream.faults;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobStatus;
import org.bloomstream.aggregation.alert.AlertPolicy;
import org.bloomstream.devkit.demo.OutputTally;
import org.bloomstream.devkit.embedded.EmbeddedRuntime;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.feed.FeedProducer;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.inference.batch.BatchPolicy;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.job.BloomstreamJob;
import org.bloomstream.job.CheckpointSettings;
import org.bloomstream.job.JobConfig;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.bloomstream.schemas.avro.LabelProbability;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.avro.TypeCount;
import org.bloomstream.schemas.kafka.KafkaSecurity;

/**
 * The fault-injection suite: one synthetic scanner room through the embedded runtime twice, once
 * without faults (the reference) and once while, at seeded points, a task fails, the job is stopped
 * with a savepoint and restored, the broker restarts and the classified sink stalls. At the end,
 * with the job stopped by a savepoint so no transaction is open, every topic is read back with
 * {@code read_committed} and checked:
 *
 * <ul>
 *   <li>every accepted cell is on {@code cells.classified} or dead-lettered by the job, exactly
 *       once; every good crop is classified and every broken one dead-lettered;
 *   <li>every specimen has exactly one report, and it counts exactly its cells;
 *   <li>no two alerts share (specimen, subtype, version);
 *   <li>every final probability equals the failure-free run's within {@link #TOLERANCE}, and the
 *       call and the differential are the same.
 * </ul>
 *
 * <p>The faulted run uses the production checkpoint setup: RocksDB with incremental checkpoints on
 * a file system, so task failures restore from RocksDB checkpoints. Faults are triggered by
 * progress (cells that came out, as a {@code read_committed} consumer sees them), so they land
 * while crops are still flowing however fast the machine is.
 */
public final class FaultRun {
    /**
     * Probabilities are compared to this absolute tolerance (the MIL pool is exact up to float).
     */
    public static final double TOLERANCE = 1e-5;

    /** The faults. */
    public enum Kind {
        TASK_FAILURE("task-failure"),
        SAVEPOINT_RESTORE("savepoint-restore"),
        BROKER_RESTART("broker-restart"),
        SINK_STALL("sink-stall");

        public final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    /**
     * One planned fault.
     *
     * @param kind what happens
     * @param at when: the fraction of crops that have come out
     * @param duration how long a broker stays down or the sink stalls
     */
    public record Fault(Kind kind, double at, Duration duration) {}

    /**
     * What to run.
     *
     * @param seed scanner and fault plan seed
     * @param specimens synthetic specimens
     * @param cellsPerSpecimen crops per specimen
     * @param badFraction broken crops, dead-lettered by design
     * @param faults how many faults; every kind appears once before any repeats
     * @param cropsPerSecond feed rate of the faulted run (the reference runs unpaced)
     * @param workDir scratch space (brokers, checkpoints, savepoints); deleted at the end
     * @param timeout give up after this long per run
     * @param job the job configuration given the bootstrap servers
     * @param unaligned faulted run with unaligned checkpoints
     */
    public record Options(
            long seed,
            int specimens,
            int cellsPerSpecimen,
            double badFraction,
            int faults,
            double cropsPerSecond,
            Path workDir,
            Duration timeout,
            Function<String, JobConfig> job,
            boolean unaligned) {}

    /** One fault as it happened. */
    public record Injected(Fault fault, long atCellsOut, Duration took, boolean served) {}

    /**
     * The outcome.
     *
     * @param injected the faults that were injected
     * @param cellsIn crops sent
     * @param cellsOut crops classified or dead-lettered (gate and job), each occurrence counted
     * @param problems every check that failed; empty when the run proved its point
     * @param maxProbabilityDelta largest difference to the failure-free run's final probabilities
     * @param wall seconds for both runs
     */
    public record Result(
            List<Injected> injected,
            long cellsIn,
            long cellsOut,
            long alerts,
            List<String> problems,
            double maxProbabilityDelta,
            double wall) {
        public boolean ok() {
            return problems.isEmpty();
        }

        /** Faults actually injected, by kind. */
        public Map<Kind, Long> byKind() {
            Map<Kind, Long> m = new EnumMap<>(Kind.class);
            for (Injected i : injected) {
                if (i.served()) {
                    m.merge(i.fault().kind(), 1L, Long::sum);
                }
            }
            return m;
        }

        /** The suite's one-line verdict. */
        public String summaryLine() {
            long n = byKind().values().stream().mapToLong(Long::longValue).sum();
            String kinds =
                    byKind().entrySet().stream()
                            .map(e -> e.getKey().label + " " + e.getValue())
                            .collect(Collectors.joining(", "));
            return String.format(
                    Locale.ROOT,
                    "faults: %d injected (%s), cells: %d in / %d out %s, alerts: %s,"
                            + " probabilities: max |delta| %.1e vs failure-free run%s",
                    n,
                    kinds,
                    cellsIn,
                    cellsOut,
                    ok() ? "exactly once" : "NOT exactly once",
                    problems.stream().anyMatch(p -> p.startsWith("alert"))
                            ? "DUPLICATES"
                            : "no duplicates (" + alerts + ")",
                    maxProbabilityDelta,
                    ok() ? "" : " -- " + problems.size() + " problem(s)");
        }
    }

    /**
     * The suite's job: the fixture models under {@code home}, parallelism 2, checkpoints every 500
     * ms. Reports come when every crop of a specimen is accounted for; the alert policy's timers
     * are only a backstop and are long, so they never fire while a fault holds the pipeline up.
     */
    public static JobConfig job(String bootstrap, Path home) {
        return JobConfig.defaults(bootstrap).toBuilder()
                .parallelism(2)
                .checkpointInterval(Duration.ofMillis(500))
                .embedderModel(home.resolve(JobConfig.FIXTURE_EMBEDDER))
                .head(home.resolve(JobConfig.FIXTURE_CELL_HEAD))
                .milModel(home.resolve(JobConfig.FIXTURE_MIL))
                .execution(ExecutionConfig.cpu(1))
                .batch(new BatchPolicy(16, Duration.ofMillis(20)))
                .alertPolicy(
                        new AlertPolicy(
                                50,
                                0.9,
                                Map.of(),
                                20,
                                Duration.ofMinutes(5),
                                Duration.ofMinutes(10),
                                5))
                .build();
    }

    private final Options options;
    private final PrintStream out;
    private final long t0 = System.nanoTime();

    public FaultRun(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /**
     * The seeded plan: {@code n} faults at increasing points between 10% and 85% of the crops;
     * kinds cycle through a seeded order of all four, so each appears before any repeats.
     */
    public static List<Fault> plan(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        List<Kind> order = new ArrayList<>(List.of(Kind.values()));
        for (int i = order.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            Kind k = order.get(i);
            order.set(i, order.get(j));
            order.set(j, k);
        }
        List<Double> at = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // stratified: one point per slice, so faults spread over the run
            double lo = 0.10 + 0.75 * i / n;
            double hi = 0.10 + 0.75 * (i + 1) / n;
            at.add(lo + (hi - lo) * r.nextDouble());
        }
        List<Fault> plan = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Kind k = order.get(i % order.size());
            Duration d =
                    switch (k) {
                        case BROKER_RESTART -> Duration.ofMillis(500 + r.nextInt(2500));
                        case SINK_STALL -> Duration.ofMillis(1500 + r.nextInt(3500));
                        default -> Duration.ZERO;
                    };
            plan.add(new Fault(k, at.get(i), d));
        }
        return plan;
    }

    /** Ground truth, recorded as the reference run sends the crops. */
    private static final class Truth {
        final Set<String> good = new HashSet<>();
        final Set<String> bad = new HashSet<>();
        final Map<String, Integer> cropsPerSpecimen = new LinkedHashMap<>();
        long badWithoutId;
    }

    public Result run() throws Exception {
        Files.createDirectories(options.workDir());
        FaultSwitch.reset();
        Instant start = Instant.now();
        SyntheticScanner scanner =
                new SyntheticScanner(
                        SyntheticScanner.Config.of(
                                        options.seed(),
                                        options.specimens(),
                                        options.cellsPerSpecimen())
                                .withBadFraction(options.badFraction())
                                .withStartTime(start));
        List<Fault> plan = plan(options.seed(), options.faults());
        out.printf(
                "fault-injection suite: %d specimens x %d crops (seed %d), %d faults: %s%n",
                options.specimens(),
                options.cellsPerSpecimen(),
                options.seed(),
                plan.size(),
                plan.stream()
                        .map(
                                f ->
                                        String.format(
                                                Locale.ROOT,
                                                "%s@%.0f%%",
                                                f.kind().label,
                                                f.at() * 100))
                        .collect(Collectors.joining(", ")));

        Truth truth = new Truth();
        out.println("reference run (no faults) ...");
        Map<String, SpecimenReport> reference =
                referenceRun(observe(scanner, truth), scanner.totalCrops());
        out.printf("%s reference done: %d reports%n", elapsed(), reference.size());

        out.printf(
                "faulted run (RocksDB, incremental checkpoints, %s barriers) ...%n",
                options.unaligned() ? "unaligned" : "aligned");
        List<Injected> injected = new ArrayList<>();
        OutputAudit audit = faultedRun(scanner, plan, injected);
        return check(truth, reference, audit, injected, scanner.totalCrops());
    }

    private static Iterable<Emission> observe(Iterable<Emission> feed, Truth t) {
        return () -> {
            Iterator<Emission> it = feed.iterator();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Emission next() {
                    Emission e = it.next();
                    if (e.type() == Emission.Type.CROP) {
                        t.good.add(e.cellId());
                        t.cropsPerSpecimen.merge(e.specimenId(), 1, Integer::sum);
                    } else if (e.type() == Emission.Type.BAD_CROP) {
                        if (e.cellId() != null) {
                            t.bad.add(e.cellId());
                        } else {
                            t.badWithoutId++;
                        }
                        t.cropsPerSpecimen.merge(e.specimenId(), 1, Integer::sum);
                    }
                    return e;
                }
            };
        };
    }

    private Map<String, SpecimenReport> referenceRun(Iterable<Emission> feed, long crops)
            throws Exception {
        Path dir = options.workDir().resolve("reference");
        ExecutorService feeder = Executors.newSingleThreadExecutor();
        try (EmbeddedRuntime rt =
                        EmbeddedRuntime.start(
                                new EmbeddedRuntime.Options(
                                        4,
                                        b ->
                                                options.job().apply(b).toBuilder()
                                                        .transactionalIdPrefix(
                                                                "reference-" + System.nanoTime())
                                                        .build(),
                                        false,
                                        dir));
                OutputTally tally = new OutputTally(rt.bootstrapServers());
                FeedProducer producer = new FeedProducer(rt.bootstrapServers())) {
            Future<FeedProducer.Sent> sent = feeder.submit(() -> producer.send(feed, 0, null));
            long deadline = System.nanoTime() + options.timeout().toNanos();
            while (true) {
                rt.checkJobAlive();
                OutputTally.Snapshot s = tally.snapshot();
                if (sent.isDone()
                        && s.classified() + s.deadCrops() >= sent.get().cropsIn()
                        && s.reports().size() >= options.specimens()) {
                    if (s.duplicateCells() > 0 || s.duplicateReports() > 0) {
                        throw new IllegalStateException("the reference run itself has duplicates");
                    }
                    return s.reports();
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "the reference run did not finish: "
                                    + (s.classified() + s.deadCrops())
                                    + " of "
                                    + crops
                                    + " crops out, "
                                    + s.reports().size()
                                    + " reports");
                }
                Thread.sleep(200);
            }
        } finally {
            feeder.shutdownNow();
        }
    }

    private OutputAudit faultedRun(
            Iterable<Emission> feed, List<Fault> plan, List<Injected> injected) throws Exception {
        Path dir = options.workDir().resolve("faulted");
        Path checkpoints = dir.resolve("checkpoints");
        Path savepoints = dir.resolve("savepoints");
        Files.createDirectories(checkpoints);
        Files.createDirectories(savepoints);
        Function<JobConfig, BloomstreamJob> factory =
                cfg -> BloomstreamJob.kafka(cfg).withTaps(new FaultTaps());
        EmbeddedRuntime.Options rtOptions =
                new EmbeddedRuntime.Options(
                                4,
                                b ->
                                        options.job().apply(b).toBuilder()
                                                .transactionalIdPrefix(
                                                        "faulted-" + System.nanoTime())
                                                .checkpointing(
                                                        CheckpointSettings.rocksDb(
                                                                        checkpoints
                                                                                .toUri()
                                                                                .toString())
                                                                .withSavepointDir(
                                                                        savepoints
                                                                                .toUri()
                                                                                .toString())
                                                                .withUnaligned(
                                                                        options.unaligned(),
                                                                        Duration.ZERO))
                                                .build(),
                                true,
                                dir)
                        .withJobFactory(factory)
                        // restart as often as it takes; a real fault would page someone first
                        .withFlinkConfig(
                                Map.of(
                                        "restart-strategy.type", "fixed-delay",
                                        "restart-strategy.fixed-delay.attempts", "1000",
                                        "restart-strategy.fixed-delay.delay", "500 ms"))
                        // a short broker session, so a restarted broker may register again at once
                        .withBroker(
                                Map.of(
                                        "broker.session.timeout.ms", "2000",
                                        "broker.heartbeat.interval.ms", "500"),
                                null);
        ExecutorService feeder = Executors.newSingleThreadExecutor();
        try (EmbeddedRuntime rt = EmbeddedRuntime.start(rtOptions);
                OutputTally tally = new OutputTally(rt.bootstrapServers());
                FeedProducer producer = new FeedProducer(rt.bootstrapServers())) {
            Future<FeedProducer.Sent> sent =
                    feeder.submit(
                            () ->
                                    producer.send(
                                            feed,
                                            options.cropsPerSecond(),
                                            FeedProducer.Pace.CROPS,
                                            null));
            long total = (long) options.specimens() * options.cellsPerSpecimen();
            long deadline = System.nanoTime() + options.timeout().toNanos();
            int next = 0;
            long lastPrint = 0;
            while (true) {
                OutputTally.Snapshot s = tally.snapshot();
                long cellsOut = s.classified() + s.deadCrops();
                if (next < plan.size() && cellsOut >= plan.get(next).at() * total) {
                    Fault f = plan.get(next++);
                    injected.add(inject(rt, f, cellsOut, total, factory, savepoints));
                    continue;
                }
                boolean done =
                        next >= plan.size()
                                && sent.isDone()
                                && cellsOut >= sent.get().cropsIn()
                                && s.reports().size() >= options.specimens()
                                && s.fhirBundles().size() >= options.specimens();
                if (done) {
                    break;
                }
                JobStatus status = rt.job().getJobStatus().get(10, TimeUnit.SECONDS);
                if (status.isGloballyTerminalState()) {
                    rt.checkJobAlive(); // throws with the cause
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            String.format(
                                    "the faulted run did not finish in %s: %d of %d crops out,"
                                            + " %d reports, job %s",
                                    options.timeout(),
                                    cellsOut,
                                    total,
                                    s.reports().size(),
                                    status));
                }
                if (System.nanoTime() - lastPrint > 5_000_000_000L) {
                    lastPrint = System.nanoTime();
                    out.printf(
                            "%s %d/%d crops out, %d reports, job %s%n",
                            elapsed(), cellsOut, total, s.reports().size(), status);
                }
                Thread.sleep(100);
            }
            // Stop with a savepoint: the sinks commit and close their transactions, so what the
            // audit reads is final.
            out.printf("%s all crops out; stopping the job with a savepoint%n", elapsed());
            stopWithSavepoint(rt, savepoints);
            return OutputAudit.read(
                    rt.bootstrapServers(), KafkaSecurity.NONE, Duration.ofMinutes(2));
        } finally {
            FaultSwitch.reset();
            feeder.shutdownNow();
        }
    }

    private Injected inject(
            EmbeddedRuntime rt,
            Fault f,
            long cellsOut,
            long total,
            Function<JobConfig, BloomstreamJob> factory,
            Path savepoints)
            throws Exception {
        long start = System.nanoTime();
        boolean served = true;
        switch (f.kind()) {
            case TASK_FAILURE -> {
                int before = FaultSwitch.failures();
                FaultSwitch.armFailure();
                served = waitUntil(() -> FaultSwitch.failures() > before, Duration.ofSeconds(60));
                if (!served) {
                    FaultSwitch.reset();
                }
                waitUntil(() -> running(rt), Duration.ofSeconds(120));
            }
            case SAVEPOINT_RESTORE -> {
                String path = stopWithSavepoint(rt, savepoints);
                rt.startJob(path, factory);
                waitUntil(() -> running(rt), Duration.ofSeconds(120));
            }
            case BROKER_RESTART -> {
                rt.kafka().stopBroker();
                Thread.sleep(f.duration().toMillis()); // the outage itself
                rt.kafka().startBroker(Duration.ofSeconds(120));
            }
            case SINK_STALL -> {
                Duration before = FaultSwitch.stalled();
                FaultSwitch.stall(f.duration());
                Thread.sleep(f.duration().toMillis()); // the stall itself
                served =
                        waitUntil(
                                () -> FaultSwitch.stalled().compareTo(before) > 0,
                                Duration.ofSeconds(5));
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        out.printf(
                Locale.ROOT,
                "%s fault %-17s at %d/%d crops out%s, %.1f s%n",
                elapsed(),
                f.kind().label,
                cellsOut,
                total,
                f.duration().isZero() ? "" : " (" + f.duration().toMillis() + " ms)",
                took.toMillis() / 1000.0);
        if (!served) {
            out.println("  (no record passed the injection point: not counted)");
        }
        return new Injected(f, cellsOut, took, served);
    }

    /** Stop-with-savepoint, retried while the job is (re)starting and cannot take one yet. */
    private static String stopWithSavepoint(EmbeddedRuntime rt, Path dir) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            waitUntil(() -> running(rt), Duration.ofSeconds(60));
            try {
                return rt.stopJobWithSavepoint(dir, Duration.ofSeconds(60));
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(500);
            }
        }
    }

    private static boolean running(EmbeddedRuntime rt) {
        try {
            return rt.job().getJobStatus().get(10, TimeUnit.SECONDS) == JobStatus.RUNNING;
        } catch (Exception e) {
            return false;
        }
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static boolean waitUntil(Condition c, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!c.holds()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(50);
        }
        return true;
    }

    private Result check(
            Truth truth,
            Map<String, SpecimenReport> reference,
            OutputAudit a,
            List<Injected> injected,
            long totalCrops) {
        List<String> problems = new ArrayList<>();
        if (a.unreadable > 0) {
            problems.add(a.unreadable + " unreadable records on the output topics");
        }
        // The gate: every crop with an id reached cells.accepted at most once.
        if (a.duplicateAccepted() > 0) {
            problems.add(a.duplicateAccepted() + " cells are on cells.accepted more than once");
        }
        // Every accepted cell: classified or dead-lettered by the job, exactly once.
        Map<String, Integer> jobDead = new HashMap<>();
        long gateDead = 0;
        long resends = 0;
        for (DeadLetter d : a.dead) {
            if (Topics.SCAN_EVENTS.name().equals(d.getSourceTopic())) {
                continue;
            }
            if (d.getReason() == DeadLetterReason.DUPLICATE_CELL) {
                resends++;
                continue;
            }
            if ("gate".equals(d.getStage())) {
                gateDead++;
            } else {
                jobDead.merge(String.valueOf(d.getCellId()), 1, Integer::sum);
            }
        }
        long jobDeadCount = jobDead.values().stream().mapToLong(Integer::longValue).sum();
        if (a.duplicateClassified() > 0) {
            problems.add(a.duplicateClassified() + " cells are on cells.classified more than once");
        }
        for (String id : a.accepted.keySet()) {
            int n = a.classified.getOrDefault(id, 0) + jobDead.getOrDefault(id, 0);
            if (n != 1) {
                problems.add(
                        "an accepted cell came out " + n + " times (classified or dead-lettered)");
                break;
            }
        }
        if (!a.accepted.keySet().containsAll(a.classified.keySet())) {
            problems.add("cells.classified holds cells that were never accepted");
        }
        if (!a.classified.keySet().equals(truth.good)) {
            Set<String> missing = new HashSet<>(truth.good);
            missing.removeAll(a.classified.keySet());
            problems.add(
                    missing.size()
                            + " good crops are not classified, "
                            + (a.classified.size() - truth.good.size() + missing.size())
                            + " classified crops are not good ones");
        }
        long badOut = gateDead + jobDeadCount;
        if (badOut != truth.bad.size() + truth.badWithoutId) {
            problems.add(
                    "dead letters for broken crops: "
                            + badOut
                            + ", expected "
                            + (truth.bad.size() + truth.badWithoutId));
        }
        long cellsOut = a.classified.values().stream().mapToLong(Integer::longValue).sum() + badOut;
        if (resends > 0) {
            problems.add(resends + " crops were sent twice and caught by the gate's dedupe");
        }

        // Reports: one per specimen, counting exactly its cells.
        Map<String, Integer> reportCount = a.reportsPerSpecimen();
        for (var e : truth.cropsPerSpecimen.entrySet()) {
            int n = reportCount.getOrDefault(e.getKey(), 0);
            if (n != 1) {
                problems.add("a specimen has " + n + " reports");
            }
        }
        Map<String, SpecimenReport> finals = new LinkedHashMap<>();
        a.reports.forEach(r -> finals.put(r.getSpecimenId(), r));
        double maxDelta = 0;
        for (SpecimenReport r : finals.values()) {
            int classified = a.classifiedPerSpecimen.getOrDefault(r.getSpecimenId(), 0);
            int emitted = truth.cropsPerSpecimen.getOrDefault(r.getSpecimenId(), -1);
            if (r.getCellCount() != classified) {
                problems.add(
                        "a report counts "
                                + r.getCellCount()
                                + " cells, "
                                + classified
                                + " were classified");
            }
            if (r.getCellCount() + r.getDeadLetteredCells() != emitted
                    || r.getExpectedCells() == null
                    || r.getExpectedCells() != emitted) {
                problems.add(
                        "a report accounts for "
                                + (r.getCellCount() + r.getDeadLetteredCells())
                                + " of "
                                + emitted
                                + " crops");
            }
            SpecimenReport ref = reference.get(r.getSpecimenId());
            if (ref == null) {
                problems.add("a specimen has no report in the failure-free run");
                continue;
            }
            maxDelta = Math.max(maxDelta, maxDelta(ref.getProbabilities(), r.getProbabilities()));
            if (!ref.getCall().equals(r.getCall())) {
                problems.add("a call differs from the failure-free run");
            }
            if (!counts(ref.getDifferential()).equals(counts(r.getDifferential()))) {
                problems.add("a differential differs from the failure-free run");
            }
        }
        if (maxDelta > TOLERANCE) {
            problems.add(
                    String.format(
                            Locale.ROOT,
                            "final probabilities differ from the failure-free run by up to %.2e",
                            maxDelta));
        }
        for (var e : a.fhir.entrySet()) {
            if (e.getValue() != 1) {
                problems.add("a specimen has " + e.getValue() + " FHIR bundles");
            }
        }
        if (a.fhir.size() != truth.cropsPerSpecimen.size()) {
            problems.add(a.fhir.size() + " FHIR bundles for " + truth.cropsPerSpecimen.size());
        }

        // Alerts: never twice for one (specimen, subtype, version).
        if (a.duplicateAlerts() > 0) {
            problems.add("alerts: " + a.duplicateAlerts() + " duplicates");
        }
        if (a.alerts.stream().map(AmlAlert::getAlertId).distinct().count() != a.alerts.size()) {
            problems.add("alerts: an alert id occurs twice");
        }
        for (Injected i : injected) {
            if (!i.served()) {
                out.printf(
                        "note: %s at %.0f%% was not served%n",
                        i.fault().kind().label, i.fault().at() * 100);
            }
        }
        Result result =
                new Result(
                        List.copyOf(injected),
                        totalCrops,
                        cellsOut,
                        a.alerts.size(),
                        List.copyOf(problems),
                        maxDelta,
                        (System.nanoTime() - t0) / 1e9);
        for (String p : problems) {
            out.println("PROBLEM: " + p);
        }
        out.printf(
                Locale.ROOT,
                "%s checked: %d accepted, %d classified, %d dead letters for broken crops (%d by the"
                        + " gate), %d reports, %d alerts%n",
                elapsed(),
                a.accepted.size(),
                a.classified.size(),
                badOut,
                gateDead,
                finals.size(),
                a.alerts.size());
        return result;
    }

    private static double maxDelta(List<LabelProbability> a, List<LabelProbability> b) {
        Map<String, Float> m = new HashMap<>();
        a.forEach(p -> m.put(p.getLabel(), p.getProbability()));
        double d = a.size() == b.size() ? 0 : Double.POSITIVE_INFINITY;
        for (LabelProbability p : b) {
            Float ref = m.get(p.getLabel());
            d =
                    Math.max(
                            d,
                            ref == null
                                    ? Double.POSITIVE_INFINITY
                                    : Math.abs(ref - p.getProbability()));
        }
        return d;
    }

    private static Map<String, Long> counts(List<TypeCount> differential) {
        Map<String, Long> m = new HashMap<>();
        differential.forEach(t -> m.put(t.getCellType(), t.getCount()));
        return m;
    }

    private String elapsed() {
        return String.format(Locale.ROOT, "[%6.1fs]", (System.nanoTime() - t0) / 1e9);
    }
}
