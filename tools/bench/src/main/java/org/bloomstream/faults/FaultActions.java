package org.bloomstream.faults;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.flink.api.common.JobStatus;
import org.bloomstream.devkit.embedded.EmbeddedRuntime;
import org.bloomstream.faults.FaultRun.Fault;
import org.bloomstream.faults.FaultRun.Injected;
import org.bloomstream.job.BloomstreamJob;
import org.bloomstream.job.JobConfig;

/**
 * What each kind of fault does to a running embedded runtime, and the job controls it needs
 * (stop-with-savepoint that retries, waiting for the job to run again).
 */
final class FaultActions {
    private final EmbeddedRuntime rt;
    private final Function<JobConfig, BloomstreamJob> factory;
    private final Path savepoints;
    private final PrintStream out;
    private final RunClock clock;

    FaultActions(
            EmbeddedRuntime rt,
            Function<JobConfig, BloomstreamJob> factory,
            Path savepoints,
            PrintStream out,
            RunClock clock) {
        this.rt = rt;
        this.factory = factory;
        this.savepoints = savepoints;
        this.out = out;
        this.clock = clock;
    }

    /**
     * Injects {@code f} and waits until the pipeline took it; prints one line for it. A task
     * failure or sink stall that no record reached is reported as not served.
     */
    Injected inject(Fault f, long cellsOut, long total) throws Exception {
        long start = System.nanoTime();
        boolean served =
                switch (f.kind()) {
                    case TASK_FAILURE -> failTask();
                    case SAVEPOINT_RESTORE -> restoreFromSavepoint();
                    case BROKER_RESTART -> restartBroker(f.duration());
                    case SINK_STALL -> stallSink(f.duration());
                };
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        out.printf(
                Locale.ROOT,
                "%s fault %-17s at %d/%d crops out%s, %.1f s%n",
                clock.stamp(),
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

    private boolean failTask() throws Exception {
        int before = FaultSwitch.failures();
        FaultSwitch.armFailure();
        boolean served = waitUntil(() -> FaultSwitch.failures() > before, Duration.ofSeconds(60));
        if (!served) {
            FaultSwitch.reset();
        }
        waitUntil(() -> running(rt), Duration.ofSeconds(120));
        return served;
    }

    private boolean restoreFromSavepoint() throws Exception {
        String path = stopWithSavepoint();
        rt.startJob(path, factory);
        waitUntil(() -> running(rt), Duration.ofSeconds(120));
        return true;
    }

    private boolean restartBroker(Duration outage) throws Exception {
        rt.kafka().stopBroker();
        Thread.sleep(outage.toMillis()); // the outage itself
        rt.kafka().startBroker(Duration.ofSeconds(120));
        return true;
    }

    private boolean stallSink(Duration stall) throws Exception {
        Duration before = FaultSwitch.stalled();
        FaultSwitch.stall(stall);
        Thread.sleep(stall.toMillis()); // the stall itself
        return waitUntil(() -> FaultSwitch.stalled().compareTo(before) > 0, Duration.ofSeconds(5));
    }

    /** Stop-with-savepoint, retried while the job is (re)starting and cannot take one yet. */
    String stopWithSavepoint() throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            waitUntil(() -> running(rt), Duration.ofSeconds(60));
            try {
                return rt.stopJobWithSavepoint(savepoints, Duration.ofSeconds(60));
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
}
