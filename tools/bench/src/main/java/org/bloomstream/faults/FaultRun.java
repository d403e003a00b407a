package org.bloomstream.faults;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.bloomstream.aggregation.alert.AlertPolicy;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.inference.batch.BatchPolicy;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.job.JobConfig;
import org.bloomstream.schemas.avro.SpecimenReport;

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
 *
 * <p>This class holds the suite's types and runs its parts in order: {@link FaultPlan} (when what),
 * {@link ReferenceRun}, {@link FaultedRun} (which injects through {@link FaultActions}) and {@link
 * FaultVerdict} (the checks above: {@link CellChecks}, then {@link SpecimenChecks}).
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
    private final RunClock clock = new RunClock();

    public FaultRun(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /** The seeded plan; see {@link FaultPlan#seeded}. */
    public static List<Fault> plan(long seed, int n) {
        return FaultPlan.seeded(seed, n);
    }

    /** Both runs, then the checks; prints progress, then every problem and what was checked. */
    public Result run() throws Exception {
        Files.createDirectories(options.workDir());
        FaultSwitch.reset();
        SyntheticScanner scanner =
                new SyntheticScanner(
                        SyntheticScanner.Config.of(
                                        options.seed(),
                                        options.specimens(),
                                        options.cellsPerSpecimen())
                                .withBadFraction(options.badFraction())
                                .withStartTime(Instant.now()));
        List<Fault> plan = FaultPlan.seeded(options.seed(), options.faults());
        out.printf(
                "fault-injection suite: %d specimens x %d crops (seed %d), %d faults: %s%n",
                options.specimens(),
                options.cellsPerSpecimen(),
                options.seed(),
                plan.size(),
                FaultPlan.describe(plan));

        GroundTruth truth = new GroundTruth();
        out.println("reference run (no faults) ...");
        Map<String, SpecimenReport> reference =
                new ReferenceRun(options).run(truth.observe(scanner), scanner.totalCrops());
        out.printf("%s reference done: %d reports%n", clock.stamp(), reference.size());

        out.printf(
                "faulted run (RocksDB, incremental checkpoints, %s barriers) ...%n",
                options.unaligned() ? "unaligned" : "aligned");
        List<Injected> injected = new ArrayList<>();
        OutputAudit audit = new FaultedRun(options, out, clock).run(scanner, plan, injected);

        FaultVerdict verdict = FaultVerdict.check(truth, reference, audit);
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
                        scanner.totalCrops(),
                        verdict.cellsOut(),
                        audit.alerts.size(),
                        verdict.problems(),
                        verdict.maxProbabilityDelta(),
                        clock.seconds());
        verdict.print(out, clock.stamp());
        return result;
    }
}
