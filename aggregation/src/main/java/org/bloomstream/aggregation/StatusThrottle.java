package org.bloomstream.aggregation;

import java.io.Serializable;
import java.time.Duration;

/**
 * How often {@link SpecimenMilFunction} publishes a specimen's status while it is open: when at
 * least {@code everyCells} cells (classified or lost) have arrived since the last status, or when
 * at least {@code interval} has passed since it and something new arrived. Scan-finished and the
 * close always publish.
 *
 * <p>The check runs when a cell or signal arrives; there is no timer of its own, so a specimen that
 * receives nothing publishes nothing (its last status is still accurate then). Costs one bag-head
 * evaluation per status, which is why it is throttled rather than per cell.
 *
 * @param everyCells cells between statuses, at most
 * @param interval time between statuses, at most, while cells arrive
 */
public record StatusThrottle(int everyCells, Duration interval) implements Serializable {
    /** Every 25 cells or every second: smooth for a person watching, cheap for the job. */
    public static final StatusThrottle DEFAULT = new StatusThrottle(25, Duration.ofSeconds(1));

    public StatusThrottle {
        if (everyCells < 1 || interval.isNegative()) {
            throw new IllegalArgumentException("everyCells >= 1 and a non-negative interval");
        }
    }

    /** Whether a status is due, given the counts and times at the last one. */
    boolean due(long progressNow, long progressAtLast, long now, long lastAt) {
        if (progressNow == progressAtLast) {
            return false;
        }
        return progressNow - progressAtLast >= everyCells || now - lastAt >= interval.toMillis();
    }
}
