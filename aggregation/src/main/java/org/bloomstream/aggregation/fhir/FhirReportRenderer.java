package org.bloomstream.aggregation.fhir;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.IParser;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Date;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;
import org.bloomstream.schemas.avro.LabelProbability;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.avro.TypeCount;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeableConcept;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.DateTimeType;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.IntegerType;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Quantity;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.Resource;

/**
 * Renders a final specimen report as a FHIR R4 transaction Bundle: one DiagnosticReport (category
 * HM, hematology; the call as conclusion) and its Observations (the probability of every subtype,
 * the cell count and the differential).
 *
 * <p>Idempotent by construction: every resource id derives from the specimen id and every entry is
 * a PUT to that id, so a report rendered twice (a replay, a restart) overwrites the same resources
 * in a FHIR server instead of adding new ones. Specimens are referenced by identifier ({@value
 * #SPECIMEN_SYSTEM}), as bloomstream knows specimens, not patients.
 *
 * <p>Codes are local ({@value #CODE_SYSTEM}): there is no LOINC or SNOMED code for "AML genetic
 * subtype predicted by multiple-instance learning from a blood smear". A lab mapping them to its
 * own terminology does so here.
 */
public final class FhirReportRenderer {
    public static final String CODE_SYSTEM = "https://bloomstream.org/fhir/CodeSystem/aml-mil";
    public static final String SPECIMEN_SYSTEM = "urn:bloomstream:specimen";
    static final String V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074";
    static final String OBSERVATION_CATEGORY =
            "http://terminology.hl7.org/CodeSystem/observation-category";
    private static final Pattern FHIR_ID_SAFE = Pattern.compile("[A-Za-z0-9.-]{1,40}");

    private final FhirContext context;
    private final IParser json;

    public FhirReportRenderer() {
        // Building the R4 context scans the model classes: seconds; do it once per instance.
        context = FhirContext.forR4();
        json = context.newJsonParser();
    }

    public FhirContext context() {
        return context;
    }

    /** The Bundle as FHIR JSON. */
    public String renderJson(SpecimenReport report) {
        return json.encodeResourceToString(render(report));
    }

    public Bundle render(SpecimenReport report) {
        String base = "aml-" + idPart(report.getSpecimenId());
        Reference specimen =
                new Reference()
                        .setIdentifier(
                                new Identifier()
                                        .setSystem(SPECIMEN_SYSTEM)
                                        .setValue(report.getSpecimenId()))
                        .setDisplay("specimen " + report.getSpecimenId());
        Date effective = Date.from(report.getLastCellTime());
        Date issued = Date.from(report.getReportTime());

        DiagnosticReport dr = new DiagnosticReport();
        dr.setId(base);
        dr.addIdentifier().setSystem(SPECIMEN_SYSTEM + ":report").setValue(report.getSpecimenId());
        dr.setStatus(DiagnosticReport.DiagnosticReportStatus.FINAL);
        dr.addCategory(
                new CodeableConcept(new Coding(V2_0074, "HM", "Hematology")).setText("Hematology"));
        dr.setCode(
                new CodeableConcept(
                                new Coding(
                                        CODE_SYSTEM,
                                        "aml-subtype-mil",
                                        "AML genetic subtype prediction (attention MIL)"))
                        .setText("AML genetic subtype prediction from a blood smear"));
        dr.addSpecimen(specimen);
        dr.setEffective(new DateTimeType(effective));
        dr.setIssued(issued);
        dr.addConclusionCode(
                new CodeableConcept(
                        new Coding(CODE_SYSTEM, code(report.getCall()), report.getCall())));
        dr.setConclusion(conclusion(report));

        Bundle bundle = new Bundle();
        bundle.setType(Bundle.BundleType.TRANSACTION);

        for (LabelProbability p : report.getProbabilities()) {
            Observation o =
                    observation(base + "-p-" + idPart(p.getLabel()), specimen, effective, issued);
            o.setCode(
                    new CodeableConcept(
                                    new Coding(
                                            CODE_SYSTEM,
                                            "probability-" + code(p.getLabel()),
                                            "Probability of " + p.getLabel()))
                            .setText("Probability of " + p.getLabel()));
            o.setValue(
                    new Quantity()
                            .setValue(Math.round(p.getProbability() * 1e6) / 1e6)
                            .setSystem("http://unitsofmeasure.org")
                            .setCode("1")
                            .setUnit("probability"));
            add(bundle, dr, o);
        }
        Observation count = observation(base + "-cells", specimen, effective, issued);
        count.setCode(
                new CodeableConcept(new Coding(CODE_SYSTEM, "cells-analysed", "Cells analysed")));
        count.setValue(new IntegerType((int) report.getCellCount()));
        add(bundle, dr, count);
        for (TypeCount t : report.getDifferential()) {
            Observation o =
                    observation(
                            base + "-n-" + idPart(t.getCellType()), specimen, effective, issued);
            o.setCode(
                    new CodeableConcept(
                                    new Coding(
                                            CODE_SYSTEM,
                                            "count-" + code(t.getCellType()),
                                            "Count of " + t.getCellType() + " cells"))
                            .setText(t.getCellType() + " count"));
            o.setValue(new IntegerType((int) t.getCount()));
            add(bundle, dr, o);
        }
        bundle.getEntry().add(0, entry(dr));
        return bundle;
    }

    private static Observation observation(
            String id, Reference specimen, Date effective, Date issued) {
        Observation o = new Observation();
        o.setId(id);
        o.setStatus(Observation.ObservationStatus.FINAL);
        o.addCategory(
                new CodeableConcept(new Coding(OBSERVATION_CATEGORY, "laboratory", "Laboratory")));
        o.setSpecimen(specimen);
        o.setEffective(new DateTimeType(effective));
        o.setIssued(issued);
        return o;
    }

    private static void add(Bundle bundle, DiagnosticReport dr, Observation o) {
        dr.addResult(new Reference("Observation/" + o.getIdElement().getIdPart()));
        bundle.addEntry(entry(o));
    }

    private static Bundle.BundleEntryComponent entry(Resource r) {
        String type = r.fhirType();
        String id = r.getIdElement().getIdPart();
        Bundle.BundleEntryComponent e = new Bundle.BundleEntryComponent();
        e.setFullUrl(type + "/" + id);
        e.setResource(r);
        e.getRequest().setMethod(Bundle.HTTPVerb.PUT).setUrl(type + "/" + id);
        return e;
    }

    private static String conclusion(SpecimenReport r) {
        float p =
                r.getProbabilities().stream()
                        .filter(lp -> lp.getLabel().equals(r.getCall()))
                        .map(LabelProbability::getProbability)
                        .findFirst()
                        .orElse(0f);
        return String.format(
                Locale.ROOT,
                "Predicted %s (p = %.3f) from %d cells (%s). Models: embedder %s, cell-type head %s,"
                        + " MIL %s. Decision support, not a diagnosis.",
                r.getCall(),
                p,
                r.getCellCount(),
                r.getCloseReason().name().toLowerCase(Locale.ROOT).replace('_', ' '),
                r.getEmbeddingModelId(),
                r.getHeadModelId(),
                r.getMilModelId());
    }

    static String code(String label) {
        return label.toLowerCase(Locale.ROOT).replace("::", "-").replaceAll("[^a-z0-9.-]", "-");
    }

    /**
     * A FHIR id fragment: the value itself when it is short and uses only FHIR id characters
     * (readable), else a hash of it (ids are at most 64 characters of [A-Za-z0-9.-]).
     */
    static String idPart(String value) {
        String plain = value.replace("::", "-").replace('_', '-');
        if (FHIR_ID_SAFE.matcher(plain).matches()) {
            return plain;
        }
        try {
            byte[] h =
                    MessageDigest.getInstance("SHA-256")
                            .digest(value.getBytes(StandardCharsets.UTF_8));
            return "h" + HexFormat.of().formatHex(h).substring(0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
