package org.bloomstream.faults;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * JVM-wide switches that {@link FaultInjector}s read on every record. The driver arms a fault; the
 * next record through an injector of the matching kind acts on it. Static, because the injectors
 * are serialised into the job graph and run in the MiniCluster's task threads of this same JVM.
 */
public final class FaultSwitch {
    private static final AtomicBoolean FAIL = new AtomicBoolean();
    private static final AtomicInteger FAILURES = new AtomicInteger();

    /** Deadline (nanoTime) of the armed stall; only meaningful while {@link #STALLING} is set. */
    private static final AtomicLong STALL_UNTIL = new AtomicLong();

    private static final AtomicBoolean STALLING = new AtomicBoolean();
    private static final AtomicInteger STALLS = new AtomicInteger();
    private static final AtomicLong STALLED_NANOS = new AtomicLong();

    private FaultSwitch() {}

    /** The next record through a failure point throws {@link InjectedFailure}. */
    public static void armFailure() {
        FAIL.set(true);
    }

    /** Failures thrown so far. */
    public static int failures() {
        return FAILURES.get();
    }

    /** Records through a stall point block until {@code duration} from now has passed. */
    public static void stall(Duration duration) {
        STALL_UNTIL.set(System.nanoTime() + duration.toNanos());
        STALLING.set(true);
        STALLS.incrementAndGet();
    }

    /** Total time records spent blocked in stall points (summed over subtasks). */
    public static Duration stalled() {
        return Duration.ofNanos(STALLED_NANOS.get());
    }

    /** Disarms everything (between runs). */
    public static void reset() {
        FAIL.set(false);
        STALLING.set(false);
    }

    static boolean takeFailure() {
        if (FAIL.compareAndSet(true, false)) {
            FAILURES.incrementAndGet();
            return true;
        }
        return false;
    }

    /** Blocks while a stall is armed; returns at once otherwise. */
    static void awaitStall() throws InterruptedException {
        if (!STALLING.get()) {
            return;
        }
        long start = System.nanoTime();
        // nanoTime differences, never comparisons of raw values (they may wrap)
        while (STALLING.get() && System.nanoTime() - STALL_UNTIL.get() < 0) {
            Thread.sleep(10);
        }
        STALLING.set(false);
        STALLED_NANOS.addAndGet(System.nanoTime() - start);
    }

    /** The exception a failure point throws; the job restarts from its latest checkpoint. */
    public static final class InjectedFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InjectedFailure() {
            super("injected task failure (fault-injection suite)");
        }
    }
}
