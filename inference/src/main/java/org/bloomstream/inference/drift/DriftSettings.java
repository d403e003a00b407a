package org.bloomstream.inference.drift;

import java.io.Serializable;

/**
 * The rolling window and the alert threshold of the live drift watch.
 *
 * @param bucketCells cells per bucket; a record is emitted each time a bucket fills
 * @param buckets buckets in the ring: the window is the last {@code buckets * bucketCells} cells of
 *     the scanner (the newest bucket included)
 * @param minCells no alert before the window holds this many cells
 * @param mmd2Threshold the alert fires when the window's MMD^2 estimate is above this; see
 *     docs/09-drift-and-batch-effects.md for how to set it
 */
public record DriftSettings(int bucketCells, int buckets, int minCells, double mmd2Threshold)
        implements Serializable {
    /**
     * 8 buckets of 64 cells (a 512-cell window, a record every 64 cells), alerts from 256 cells,
     * threshold 0.02; see the docs page for the measurements behind the threshold.
     */
    public static final DriftSettings DEFAULTS = new DriftSettings(64, 8, 256, 0.02);

    public DriftSettings {
        if (bucketCells < 1 || buckets < 1 || minCells < 0 || !(mmd2Threshold > 0)) {
            throw new IllegalArgumentException(
                    "drift window needs bucketCells, buckets >= 1, minCells >= 0, threshold > 0");
        }
    }

    /** Eight buckets of {@code bucketCells}, alerts from four buckets on. */
    public static DriftSettings of(int bucketCells, double mmd2Threshold) {
        return new DriftSettings(bucketCells, 8, 4 * bucketCells, mmd2Threshold);
    }

    public int windowCells() {
        return bucketCells * buckets;
    }

    public DriftSettings withThreshold(double t) {
        return new DriftSettings(bucketCells, buckets, minCells, t);
    }
}
