package org.bloomstream.faults;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.flink.api.common.JobStatus;
import org.bloomstream.devkit.demo.OutputTally;
import org.bloomstream.devkit.embedded.EmbeddedRuntime;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.feed.FeedProducer;
import org.bloomstream.faults.FaultRun.Fault;
import org.bloomstream.faults.FaultRun.Injected;
import org.bloomstream.job.BloomstreamJob;
import org.bloomstream.job.CheckpointSettings;
import org.bloomstream.job.JobConfig;
import org.bloomstream.schemas.kafka.KafkaSecurity;

/**
 * The faulted run: the production checkpoint setup (RocksDB, incremental checkpoints on a file
 * system), the job with {@link FaultTaps}, a paced feed, and the planned faults injected as the
 * output passes their points. Ends with a stop-with-savepoint, so no transaction is open when the
 * topics are read back.
 */
final class FaultedRun {
    private final FaultRun.Options options;
    private final PrintStream out;
    private final RunClock clock;

    FaultedRun(FaultRun.Options options, PrintStream out, RunClock clock) {
        this.options = options;
        this.out = out;
        this.clock = clock;
    }

    /** Feeds {@code feed}, injects {@code plan} into {@code injected} and audits the output. */
    OutputAudit run(Iterable<Emission> feed, List<Fault> plan, List<Injected> injected)
            throws Exception {
        Path dir = options.workDir().resolve("faulted");
        Path checkpoints = dir.resolve("checkpoints");
        Path savepoints = dir.resolve("savepoints");
        Files.createDirectories(checkpoints);
        Files.createDirectories(savepoints);
        Function<JobConfig, BloomstreamJob> factory =
                cfg -> BloomstreamJob.kafka(cfg).withTaps(new FaultTaps());
        ExecutorService feeder = Executors.newSingleThreadExecutor();
        try (EmbeddedRuntime rt =
                        EmbeddedRuntime.start(runtime(dir, checkpoints, savepoints, factory));
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
            FaultActions actions = new FaultActions(rt, factory, savepoints, out, clock);
            drive(rt, tally, sent, plan, injected, actions);
            // Stop with a savepoint: the sinks commit and close their transactions, so what the
            // audit reads is final.
            out.printf("%s all crops out; stopping the job with a savepoint%n", clock.stamp());
            actions.stopWithSavepoint();
            return OutputAudit.read(
                    rt.bootstrapServers(), KafkaSecurity.NONE, Duration.ofMinutes(2));
        } finally {
            FaultSwitch.reset();
            feeder.shutdownNow();
        }
    }

    /** The embedded runtime of the faulted run. */
    private EmbeddedRuntime.Options runtime(
            Path dir,
            Path checkpoints,
            Path savepoints,
            Function<JobConfig, BloomstreamJob> factory) {
        return new EmbeddedRuntime.Options(
                        4,
                        b ->
                                options.job().apply(b).toBuilder()
                                        .transactionalIdPrefix("faulted-" + System.nanoTime())
                                        .checkpointing(
                                                CheckpointSettings.rocksDb(
                                                                checkpoints.toUri().toString())
                                                        .withSavepointDir(
                                                                savepoints.toUri().toString())
                                                        .withUnaligned(
                                                                options.unaligned(), Duration.ZERO))
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
    }

    /**
     * Watches the output and injects each planned fault once its share of crops has come out;
     * returns when every crop, report and FHIR bundle is out. Prints progress every 5 s.
     */
    private void drive(
            EmbeddedRuntime rt,
            OutputTally tally,
            Future<FeedProducer.Sent> sent,
            List<Fault> plan,
            List<Injected> injected,
            FaultActions actions)
            throws Exception {
        long total = (long) options.specimens() * options.cellsPerSpecimen();
        long deadline = System.nanoTime() + options.timeout().toNanos();
        int next = 0;
        long lastPrint = 0;
        while (true) {
            OutputTally.Snapshot s = tally.snapshot();
            long cellsOut = s.classified() + s.deadCrops();
            if (next < plan.size() && cellsOut >= plan.get(next).at() * total) {
                Fault f = plan.get(next++);
                injected.add(actions.inject(f, cellsOut, total));
                continue;
            }
            boolean done =
                    next >= plan.size()
                            && sent.isDone()
                            && cellsOut >= sent.get().cropsIn()
                            && s.reports().size() >= options.specimens()
                            && s.fhirBundles().size() >= options.specimens();
            if (done) {
                return;
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
                                options.timeout(), cellsOut, total, s.reports().size(), status));
            }
            if (System.nanoTime() - lastPrint > 5_000_000_000L) {
                lastPrint = System.nanoTime();
                out.printf(
                        "%s %d/%d crops out, %d reports, job %s%n",
                        clock.stamp(), cellsOut, total, s.reports().size(), status);
            }
            Thread.sleep(100);
        }
    }
}
