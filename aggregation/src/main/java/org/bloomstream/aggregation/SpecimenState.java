package org.bloomstream.aggregation;

import java.util.Arrays;
import org.bloomstream.aggregation.mil.StreamingAttentionPool;

/**
 * Everything kept per open specimen. Its size is O(C*D + C*k + T), whatever the number of cells:
 * the MIL pool, the differential, the top-k attended cells per class, completeness counters, the
 * alert policy's memory and three numbers for the status throttle. A Flink POJO (public fields,
 * arrays rather than collections).
 */
public class SpecimenState {
    public String specimenId;
    public String scanId;
    public StreamingAttentionPool pool;

    /** Differential count by assigned cell type (parallel arrays; T is small). */
    public String[] typeLabels = new String[0];

    public long[] typeCounts = new long[0];

    /** Top-k most attended cells per class, row-major [C][k], best first; null ids are empty. */
    public String[] topIds;

    public float[] topScores;
    public int topK;

    /** Capture times of the first and last cell seen, epoch millis. */
    public long firstCellTime = Long.MAX_VALUE;

    public long lastCellTime = Long.MIN_VALUE;

    /** Processing time of the last cell or signal, for the inactivity timeout. */
    public long lastActivity;

    public int expectedCells = -1;
    public boolean finished;
    public long finishedAt;
    public long deadLettered;

    public String embeddingModelId = "";
    public String headModelId = "";

    /** Alert policy memory: the qualifying class and for how many updates in a row. */
    public int streakClass = -1;

    public int streakLength;
    public int lastAlertedClass = -1;
    public int alertVersion;
    public String[] alertsRaised = new String[0];

    /**
     * Status throttle memory: statuses published so far, when the last one went out (processing
     * time) and the cells plus dead letters it counted.
     */
    public int statusSequence;

    public long statusAt;
    public long statusProgress;

    public SpecimenState() {}

    public SpecimenState(String specimenId, int classes, int valueDim, int topK) {
        this.specimenId = specimenId;
        this.pool = new StreamingAttentionPool(classes, valueDim);
        this.topK = topK;
        this.topIds = new String[classes * topK];
        this.topScores = new float[classes * topK];
        Arrays.fill(topScores, Float.NEGATIVE_INFINITY);
    }

    public long cells() {
        return pool.count;
    }

    /** Cells seen plus cells lost to dead letters: what progress towards expectedCells counts. */
    public long progress() {
        return pool.count + deadLettered;
    }

    /** All cells accounted for: seen plus dead-lettered reached what the scanner emitted. */
    public boolean complete() {
        return finished && expectedCells >= 0 && progress() >= expectedCells;
    }

    public void countType(String type) {
        for (int i = 0; i < typeLabels.length; i++) {
            if (typeLabels[i].equals(type)) {
                typeCounts[i]++;
                return;
            }
        }
        typeLabels = Arrays.copyOf(typeLabels, typeLabels.length + 1);
        typeCounts = Arrays.copyOf(typeCounts, typeCounts.length + 1);
        typeLabels[typeLabels.length - 1] = type;
        typeCounts[typeCounts.length - 1] = 1;
    }

    /**
     * Keeps the cell if it is among the k most attended for any class. A cell already listed is not
     * listed twice (a re-delivered cell must not crowd out the others).
     */
    public void offerAttended(String cellId, float[] attention) {
        for (int c = 0; c < attention.length; c++) {
            int row = c * topK;
            float a = attention[c];
            if (a <= topScores[row + topK - 1] || listed(row, cellId)) {
                continue;
            }
            int pos = topK - 1;
            while (pos > 0 && topScores[row + pos - 1] < a) {
                topScores[row + pos] = topScores[row + pos - 1];
                topIds[row + pos] = topIds[row + pos - 1];
                pos--;
            }
            topScores[row + pos] = a;
            topIds[row + pos] = cellId;
        }
    }

    private boolean listed(int row, String cellId) {
        for (int i = 0; i < topK; i++) {
            if (cellId.equals(topIds[row + i])) {
                return true;
            }
        }
        return false;
    }

    public void addAlert(String alertId) {
        alertsRaised = Arrays.copyOf(alertsRaised, alertsRaised.length + 1);
        alertsRaised[alertsRaised.length - 1] = alertId;
    }
}
