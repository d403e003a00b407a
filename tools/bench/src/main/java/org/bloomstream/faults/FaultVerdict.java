package org.bloomstream.faults;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bloomstream.schemas.avro.SpecimenReport;

/**
 * What the faulted run left on the topics, checked against the ground truth and the failure-free
 * run: the cell checks, then the specimen checks, always in the same order, so two runs with the
 * same faults print the same problems.
 *
 * @param problems every check that failed; empty when the run proved its point
 * @param cellsOut crops classified or dead-lettered, each occurrence counted
 * @param badOut dead letters for broken crops, by the gate and the job
 * @param gateDead of those, by the gate
 * @param reports specimens with a report
 * @param maxProbabilityDelta largest difference to the failure-free run's final probabilities
 * @param audit what was read back
 */
record FaultVerdict(
        List<String> problems,
        long cellsOut,
        long badOut,
        long gateDead,
        int reports,
        double maxProbabilityDelta,
        OutputAudit audit) {

    static FaultVerdict check(
            GroundTruth truth, Map<String, SpecimenReport> reference, OutputAudit audit) {
        List<String> problems = new ArrayList<>();
        CellChecks cells = new CellChecks(truth, audit, problems);
        cells.run();
        SpecimenChecks specimens = new SpecimenChecks(truth, reference, audit, problems);
        specimens.run();
        return new FaultVerdict(
                List.copyOf(problems),
                cells.cellsOut(),
                cells.badOut(),
                cells.gateDead(),
                specimens.reports(),
                specimens.maxDelta(),
                audit);
    }

    /** Every problem, then one line of what was checked. */
    void print(PrintStream out, String stamp) {
        for (String p : problems) {
            out.println("PROBLEM: " + p);
        }
        out.printf(
                Locale.ROOT,
                "%s checked: %d accepted, %d classified, %d dead letters for broken crops (%d by"
                        + " the gate), %d reports, %d alerts%n",
                stamp,
                audit.accepted.size(),
                audit.classified.size(),
                badOut,
                gateDead,
                reports,
                audit.alerts.size());
    }
}
