package org.bloomstream.aggregation.alert;

import java.io.Serializable;
import java.time.Duration;
import java.util.Map;

/**
 * When a specimen's subtype call becomes an alert, and when a specimen is closed.
 *
 * @param minCells no alert before this many cells have been seen (early bags are noisy)
 * @param threshold probability a subtype must reach to be alerted on
 * @param classThresholds per-class overrides of {@code threshold}
 * @param stableUpdates consecutive cell updates the same subtype must stay above threshold
 *     (hysteresis: one lucky cell cannot page anyone)
 * @param finishGrace after scan-finished, how long a specimen that still misses cells may stay
 *     silent before it is reported anyway, counted from its last cell (or the finish event).
 *     Dead-lettered crops are counted exactly, so this only matters when crops are truly lost; keep
 *     it longer than the pipeline's worst backlog
 * @param inactivityTimeout a specimen with no cells or events for this long is closed with a final
 *     report (a scanner that crashed mid-scan never sends scan-finished)
 * @param topK how many most-attended cells to keep per class
 */
public record AlertPolicy(
        int minCells,
        double threshold,
        Map<String, Double> classThresholds,
        int stableUpdates,
        Duration finishGrace,
        Duration inactivityTimeout,
        int topK)
        implements Serializable {

    public static final AlertPolicy DEFAULT =
            new AlertPolicy(
                    50, 0.8, Map.of(), 20, Duration.ofMinutes(5), Duration.ofMinutes(10), 5);

    public AlertPolicy {
        classThresholds = Map.copyOf(classThresholds);
        if (minCells < 1 || stableUpdates < 1 || topK < 1) {
            throw new IllegalArgumentException("minCells, stableUpdates and topK must be >= 1");
        }
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("threshold must be in (0, 1]");
        }
        if (finishGrace.isNegative()
                || inactivityTimeout.isNegative()
                || inactivityTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
    }

    public double thresholdFor(String subtype) {
        return classThresholds.getOrDefault(subtype, threshold);
    }

    public AlertPolicy withTimeouts(Duration finishGrace, Duration inactivityTimeout) {
        return new AlertPolicy(
                minCells,
                threshold,
                classThresholds,
                stableUpdates,
                finishGrace,
                inactivityTimeout,
                topK);
    }
}
