package org.bloomstream.faults;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;

/**
 * The checks on single cells: every accepted cell came out exactly once (classified or
 * dead-lettered by the job), every good crop is classified and every broken one dead-lettered. Each
 * check adds a line to the shared problem list when it fails.
 */
final class CellChecks {
    private final GroundTruth truth;
    private final OutputAudit a;
    private final List<String> problems;

    /** Dead letters the job wrote, per cell id (the gate's are only counted). */
    private final Map<String, Integer> jobDead = new HashMap<>();

    private long gateDead;

    /** Crops the gate's dedupe caught: the feed sent them twice, which it never should. */
    private long resends;

    CellChecks(GroundTruth truth, OutputAudit audit, List<String> problems) {
        this.truth = truth;
        this.a = audit;
        this.problems = problems;
        tallyDeadLetters();
    }

    /** Runs the checks in their fixed order. */
    void run() {
        allRecordsReadable();
        acceptedAtMostOnce();
        classifiedAtMostOnce();
        everyAcceptedCellOutOnce();
        classifiedOnlyIfAccepted();
        everyGoodCropClassified();
        everyBrokenCropDeadLettered();
        noCropSentTwice();
    }

    /** Dead letters for broken crops, by the gate. */
    long gateDead() {
        return gateDead;
    }

    private void tallyDeadLetters() {
        for (DeadLetter d : a.dead) {
            if (Topics.SCAN_EVENTS.name().equals(d.getSourceTopic())) {
                continue;
            }
            if (d.getReason() == DeadLetterReason.DUPLICATE_CELL) {
                resends++;
                continue;
            }
            if ("gate".equals(d.getStage())) {
                gateDead++;
            } else {
                jobDead.merge(String.valueOf(d.getCellId()), 1, Integer::sum);
            }
        }
    }

    /** Dead letters for broken crops, by the gate and the job. */
    long badOut() {
        return gateDead + jobDead.values().stream().mapToLong(Integer::longValue).sum();
    }

    /** Crops classified or dead-lettered, each occurrence counted. */
    long cellsOut() {
        return a.classified.values().stream().mapToLong(Integer::longValue).sum() + badOut();
    }

    private void allRecordsReadable() {
        if (a.unreadable > 0) {
            problems.add(a.unreadable + " unreadable records on the output topics");
        }
    }

    /** The gate: every crop with an id reached cells.accepted at most once. */
    private void acceptedAtMostOnce() {
        if (a.duplicateAccepted() > 0) {
            problems.add(a.duplicateAccepted() + " cells are on cells.accepted more than once");
        }
    }

    private void classifiedAtMostOnce() {
        if (a.duplicateClassified() > 0) {
            problems.add(a.duplicateClassified() + " cells are on cells.classified more than once");
        }
    }

    /** Every accepted cell: classified or dead-lettered by the job, exactly once. */
    private void everyAcceptedCellOutOnce() {
        for (String id : a.accepted.keySet()) {
            int n = a.classified.getOrDefault(id, 0) + jobDead.getOrDefault(id, 0);
            if (n != 1) {
                problems.add(
                        "an accepted cell came out " + n + " times (classified or dead-lettered)");
                return; // one is enough: the rest would say the same
            }
        }
    }

    private void classifiedOnlyIfAccepted() {
        if (!a.accepted.keySet().containsAll(a.classified.keySet())) {
            problems.add("cells.classified holds cells that were never accepted");
        }
    }

    private void everyGoodCropClassified() {
        if (!a.classified.keySet().equals(truth.good)) {
            Set<String> missing = new HashSet<>(truth.good);
            missing.removeAll(a.classified.keySet());
            problems.add(
                    missing.size()
                            + " good crops are not classified, "
                            + (a.classified.size() - truth.good.size() + missing.size())
                            + " classified crops are not good ones");
        }
    }

    private void everyBrokenCropDeadLettered() {
        long expected = truth.bad.size() + truth.badWithoutId;
        if (badOut() != expected) {
            problems.add("dead letters for broken crops: " + badOut() + ", expected " + expected);
        }
    }

    private void noCropSentTwice() {
        if (resends > 0) {
            problems.add(resends + " crops were sent twice and caught by the gate's dedupe");
        }
    }
}
