package org.bloomstream.inference.drift;

/**
 * One scanner's rolling window as a flat {@code double[]} (the keyed state), of constant length
 * {@link #length}: {@code 3 + buckets * (3 + features + 3 * classes)} doubles, whatever the number
 * of cells. With the defaults (8 buckets, 256 features) and 7 classes that is 2,243 doubles, 17,944
 * bytes per scanner.
 *
 * <pre>
 * [0] cursor: the bucket being filled     [1] cells seen in total     [2] newest capture time (ms)
 * per bucket b, at 3 + b * stride:
 *   n, unknown count, sum of ||phi||^2, sum of phi [features],
 *   per most probable class: sum of nearest-reference similarity [classes], their count
 *   [classes], and the cell count [classes]
 * </pre>
 *
 * The ring is count-based, not time-based: a record is due when a bucket fills, so replaying the
 * same cells after a restore gives the same records bit for bit, whatever the wall clock did. A
 * scanner that stops sending keeps its last window until it sends again (no timers, no state
 * growth).
 */
public final class DriftWindow {
    private static final int HEADER = 3;
    private final int features;
    private final int classes;
    private final int buckets;
    private final int bucketCells;
    private final int stride;

    public DriftWindow(int features, int classes, DriftSettings settings) {
        this.features = features;
        this.classes = classes;
        this.buckets = settings.buckets();
        this.bucketCells = settings.bucketCells();
        this.stride = 3 + features + 3 * classes;
    }

    /** The state's length in doubles. */
    public int length() {
        return HEADER + buckets * stride;
    }

    public double[] empty() {
        return new double[length()];
    }

    /** What the window holds now, summed over its buckets. */
    public record Totals(
            long cellsSeen,
            int n,
            int unknown,
            double sumSq,
            double[] phi,
            double[] simSum,
            double[] simCount,
            double[] classCount,
            long lastCaptureMillis) {}

    /**
     * Adds one cell to the current bucket; returns true when that bucket is now full (a record is
     * due: read {@link #totals}, then {@link #advance}).
     *
     * @param phiSum scratch of {@code features} doubles the caller filled with {@code phi(cell)}
     * @param phiSq its squared norm
     * @param cls the cell's most probable class, or -1 to leave it out of the similarity sums
     * @param similarity its nearest-reference similarity (NaN to leave it out)
     */
    public boolean add(
            double[] s,
            double[] phiSum,
            double phiSq,
            boolean unknown,
            int cls,
            double similarity,
            long captureMillis) {
        check(s);
        int base = HEADER + (int) s[0] * stride;
        s[base] += 1;
        s[base + 1] += unknown ? 1 : 0;
        s[base + 2] += phiSq;
        for (int j = 0; j < features; j++) {
            s[base + 3 + j] += phiSum[j];
        }
        if (cls >= 0 && cls < classes) {
            s[base + 3 + features + 2 * classes + cls] += 1;
            if (!Double.isNaN(similarity)) {
                s[base + 3 + features + cls] += similarity;
                s[base + 3 + features + classes + cls] += 1;
            }
        }
        s[1] += 1;
        s[2] = Math.max(s[2], captureMillis);
        return s[base] >= bucketCells;
    }

    /** Moves the cursor to the oldest bucket and clears it: the window drops its oldest cells. */
    public void advance(double[] s) {
        check(s);
        int next = ((int) s[0] + 1) % buckets;
        s[0] = next;
        int base = HEADER + next * stride;
        java.util.Arrays.fill(s, base, base + stride, 0.0);
    }

    public Totals totals(double[] s) {
        check(s);
        double[] phi = new double[features];
        double[] simSum = new double[classes];
        double[] simCount = new double[classes];
        double[] classCount = new double[classes];
        double n = 0;
        double unknown = 0;
        double sq = 0;
        for (int b = 0; b < buckets; b++) {
            int base = HEADER + b * stride;
            n += s[base];
            unknown += s[base + 1];
            sq += s[base + 2];
            for (int j = 0; j < features; j++) {
                phi[j] += s[base + 3 + j];
            }
            for (int c = 0; c < classes; c++) {
                simSum[c] += s[base + 3 + features + c];
                simCount[c] += s[base + 3 + features + classes + c];
                classCount[c] += s[base + 3 + features + 2 * classes + c];
            }
        }
        return new Totals(
                (long) s[1],
                (int) n,
                (int) unknown,
                sq,
                phi,
                simSum,
                simCount,
                classCount,
                (long) s[2]);
    }

    private void check(double[] s) {
        if (s.length != length()) {
            throw new IllegalStateException(
                    "drift state has "
                            + s.length
                            + " doubles, expected "
                            + length()
                            + " (window settings or profile changed since the snapshot)");
        }
    }
}
