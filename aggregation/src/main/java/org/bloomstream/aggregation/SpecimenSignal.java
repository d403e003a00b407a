package org.bloomstream.aggregation;

/**
 * Everything about a specimen that is not a classified cell: scan started, scan finished (with the
 * number of crops the scanner emitted) and a cell lost to the dead-letter topic. Lost cells count
 * towards completeness, so a specimen with a few rejected crops still closes as soon as its last
 * good cell arrives instead of waiting out the grace period.
 */
public class SpecimenSignal {
    /** What happened. */
    public enum Kind {
        STARTED,
        FINISHED,
        CELL_LOST
    }

    public Kind kind;
    public String specimenId;
    public String scanId;

    /** For FINISHED: crops the scanner emitted. */
    public int expectedCells;

    public long eventTime;

    public SpecimenSignal() {}

    public SpecimenSignal(
            Kind kind, String specimenId, String scanId, int expectedCells, long eventTime) {
        this.kind = kind;
        this.specimenId = specimenId;
        this.scanId = scanId;
        this.expectedCells = expectedCells;
        this.eventTime = eventTime;
    }
}
