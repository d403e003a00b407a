package org.bloomstream.faults;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.LabelProbability;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.avro.TypeCount;

/**
 * The checks on specimens: one report each that counts exactly its cells and equals the
 * failure-free run's (call, differential, probabilities within {@link FaultRun#TOLERANCE}), one
 * FHIR bundle each, no alert twice. Each check adds a line to the shared problem list when it
 * fails.
 */
final class SpecimenChecks {
    private final GroundTruth truth;
    private final Map<String, SpecimenReport> reference;
    private final OutputAudit a;
    private final List<String> problems;

    /** The last report per specimen. */
    private final Map<String, SpecimenReport> finals = new LinkedHashMap<>();

    private double maxDelta;

    SpecimenChecks(
            GroundTruth truth,
            Map<String, SpecimenReport> reference,
            OutputAudit audit,
            List<String> problems) {
        this.truth = truth;
        this.reference = reference;
        this.a = audit;
        this.problems = problems;
        audit.reports.forEach(r -> finals.put(r.getSpecimenId(), r));
    }

    /** Runs the checks in their fixed order. */
    void run() {
        oneReportPerSpecimen();
        finals.values().forEach(this::reportMatchesTruthAndReference);
        probabilitiesMatchReference();
        oneFhirBundlePerSpecimen();
        noDuplicateAlerts();
    }

    /** Specimens with a report. */
    int reports() {
        return finals.size();
    }

    /** Largest difference to the failure-free run's final probabilities. */
    double maxDelta() {
        return maxDelta;
    }

    private void oneReportPerSpecimen() {
        Map<String, Integer> reportCount = a.reportsPerSpecimen();
        for (String specimen : truth.cropsPerSpecimen.keySet()) {
            int n = reportCount.getOrDefault(specimen, 0);
            if (n != 1) {
                problems.add("a specimen has " + n + " reports");
            }
        }
    }

    /**
     * A report counts exactly its specimen's cells, and its call, differential and probabilities
     * are the failure-free run's.
     */
    private void reportMatchesTruthAndReference(SpecimenReport r) {
        int classified = a.classifiedPerSpecimen.getOrDefault(r.getSpecimenId(), 0);
        int emitted = truth.cropsPerSpecimen.getOrDefault(r.getSpecimenId(), -1);
        if (r.getCellCount() != classified) {
            problems.add(
                    "a report counts "
                            + r.getCellCount()
                            + " cells, "
                            + classified
                            + " were classified");
        }
        if (r.getCellCount() + r.getDeadLetteredCells() != emitted
                || r.getExpectedCells() == null
                || r.getExpectedCells() != emitted) {
            problems.add(
                    "a report accounts for "
                            + (r.getCellCount() + r.getDeadLetteredCells())
                            + " of "
                            + emitted
                            + " crops");
        }
        SpecimenReport ref = reference.get(r.getSpecimenId());
        if (ref == null) {
            problems.add("a specimen has no report in the failure-free run");
            return;
        }
        maxDelta = Math.max(maxDelta, maxDelta(ref.getProbabilities(), r.getProbabilities()));
        if (!ref.getCall().equals(r.getCall())) {
            problems.add("a call differs from the failure-free run");
        }
        if (!counts(ref.getDifferential()).equals(counts(r.getDifferential()))) {
            problems.add("a differential differs from the failure-free run");
        }
    }

    private void probabilitiesMatchReference() {
        if (maxDelta > FaultRun.TOLERANCE) {
            problems.add(
                    String.format(
                            Locale.ROOT,
                            "final probabilities differ from the failure-free run by up to %.2e",
                            maxDelta));
        }
    }

    private void oneFhirBundlePerSpecimen() {
        for (var e : a.fhir.entrySet()) {
            if (e.getValue() != 1) {
                problems.add("a specimen has " + e.getValue() + " FHIR bundles");
            }
        }
        if (a.fhir.size() != truth.cropsPerSpecimen.size()) {
            problems.add(a.fhir.size() + " FHIR bundles for " + truth.cropsPerSpecimen.size());
        }
    }

    /** Alerts: never twice for one (specimen, subtype, version). */
    private void noDuplicateAlerts() {
        if (a.duplicateAlerts() > 0) {
            problems.add("alerts: " + a.duplicateAlerts() + " duplicates");
        }
        if (a.alerts.stream().map(AmlAlert::getAlertId).distinct().count() != a.alerts.size()) {
            problems.add("alerts: an alert id occurs twice");
        }
    }

    private static double maxDelta(List<LabelProbability> a, List<LabelProbability> b) {
        Map<String, Float> m = new HashMap<>();
        a.forEach(p -> m.put(p.getLabel(), p.getProbability()));
        double d = a.size() == b.size() ? 0 : Double.POSITIVE_INFINITY;
        for (LabelProbability p : b) {
            Float ref = m.get(p.getLabel());
            d =
                    Math.max(
                            d,
                            ref == null
                                    ? Double.POSITIVE_INFINITY
                                    : Math.abs(ref - p.getProbability()));
        }
        return d;
    }

    private static Map<String, Long> counts(List<TypeCount> differential) {
        Map<String, Long> m = new HashMap<>();
        differential.forEach(t -> m.put(t.getCellType(), t.getCount()));
        return m;
    }
}
