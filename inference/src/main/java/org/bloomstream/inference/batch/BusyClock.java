package org.bloomstream.inference.batch;

/**
 * Time with at least one model call running, over wall time: the accelerator's busy fraction as the
 * operator sees it. Overlapping calls count once (the device is busy, not twice as busy). Read by
 * the metrics reporter, so each read covers the interval since the previous one.
 *
 * <p>Limit: "a call is running" includes the host-to-device copy and the result's copy back, which
 * is what the operator waits for; a profiler's kernel time would be a little lower.
 */
final class BusyClock {
    private final LongSupplierNanos clock;
    private int running;
    private long busySince;
    private long busyTotal;
    private long lastRead;
    private long busyAtLastRead;

    interface LongSupplierNanos {
        long nanos();
    }

    BusyClock() {
        this(System::nanoTime);
    }

    BusyClock(LongSupplierNanos clock) {
        this.clock = clock;
        this.lastRead = clock.nanos();
    }

    synchronized void start() {
        if (running++ == 0) {
            busySince = clock.nanos();
        }
    }

    synchronized void stop() {
        if (--running == 0) {
            busyTotal += clock.nanos() - busySince;
        }
    }

    /** Busy time over wall time since the previous call (or since creation), 0..1. */
    synchronized double fractionSinceLastRead() {
        long now = clock.nanos();
        long busy = busyTotal + (running > 0 ? now - busySince : 0);
        long wall = now - lastRead;
        double f = wall <= 0 ? 0.0 : (double) (busy - busyAtLastRead) / wall;
        lastRead = now;
        busyAtLastRead = busy;
        return Math.max(0.0, Math.min(1.0, f));
    }
}
