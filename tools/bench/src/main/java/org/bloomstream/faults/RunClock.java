package org.bloomstream.faults;

import java.util.Locale;

/**
 * Seconds since the suite started, shared by the parts of one {@link FaultRun} so every line they
 * print carries the same time base.
 */
final class RunClock {
    private final long t0 = System.nanoTime();

    double seconds() {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** The {@code [ 12.3s]} prefix of a progress line. */
    String stamp() {
        return String.format(Locale.ROOT, "[%6.1fs]", seconds());
    }
}
