package org.bloomstream.aggregation.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.bloomstream.schemas.avro.AttendedCells;
import org.bloomstream.schemas.avro.CloseReason;
import org.bloomstream.schemas.avro.LabelProbability;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.avro.TypeCount;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.DiagnosticReport;
import org.hl7.fhir.r4.model.Observation;
import org.hl7.fhir.r4.model.Quantity;
import org.junit.jupiter.api.Test;

class FhirReportRendererTest {
    static final FhirReportRenderer RENDERER = new FhirReportRenderer();

    static SpecimenReport report(String specimenId) {
        Instant t = Instant.parse("2026-03-01T10:00:00Z");
        return SpecimenReport.newBuilder()
                .setSpecimenId(specimenId)
                .setScanId("scan-1")
                .setCloseReason(CloseReason.SCAN_FINISHED)
                .setExpectedCells(120)
                .setCellCount(118)
                .setDeadLetteredCells(2)
                .setCall("NPM1")
                .setProbabilities(
                        List.of(
                                new LabelProbability("CBFB::MYH11", 0.01f),
                                new LabelProbability("NPM1", 0.97f),
                                new LabelProbability("control", 0.02f)))
                .setDifferential(
                        List.of(new TypeCount("blast", 70L), new TypeCount("monocyte", 48L)))
                .setTopAttended(List.of(new AttendedCells("NPM1", List.of("c1"))))
                .setAlertsRaised(List.of("x/NPM1/1"))
                .setEmbeddingModelId("vit_tiny-random-seed0")
                .setHeadModelId("centroids")
                .setMilModelId("mil-vit-tiny-synthetic")
                .setFirstCellTime(t)
                .setLastCellTime(t.plusSeconds(60))
                .setReportTime(t.plusSeconds(61))
                .build();
    }

    @Test
    void aReportIsADiagnosticReportWithCategoryHmAndItsObservations() {
        String json = RENDERER.renderJson(report("SPC-0042"));
        Bundle b = RENDERER.context().newJsonParser().parseResource(Bundle.class, json);
        assertThat(b.getType()).isEqualTo(Bundle.BundleType.TRANSACTION);
        DiagnosticReport dr = (DiagnosticReport) b.getEntry().get(0).getResource();
        assertThat(dr.getIdElement().getIdPart()).isEqualTo("aml-SPC-0042");
        assertThat(dr.getCategoryFirstRep().getCodingFirstRep().getSystem())
                .isEqualTo("http://terminology.hl7.org/CodeSystem/v2-0074");
        assertThat(dr.getCategoryFirstRep().getCodingFirstRep().getCode()).isEqualTo("HM");
        assertThat(dr.getStatus()).isEqualTo(DiagnosticReport.DiagnosticReportStatus.FINAL);
        assertThat(dr.getConclusion()).contains("NPM1").contains("0.970").contains("118 cells");
        assertThat(dr.getConclusionCodeFirstRep().getCodingFirstRep().getCode()).isEqualTo("npm1");
        assertThat(dr.getSpecimenFirstRep().getIdentifier().getValue()).isEqualTo("SPC-0042");
        // 3 probabilities + the cell count + 2 differential rows, all referenced by the report.
        assertThat(b.getEntry()).hasSize(7);
        assertThat(dr.getResult()).hasSize(6);
        Observation pNpm1 =
                b.getEntry().stream()
                        .map(e -> e.getResource())
                        .filter(r -> r.getIdElement().getIdPart().equals("aml-SPC-0042-p-NPM1"))
                        .map(Observation.class::cast)
                        .findFirst()
                        .orElseThrow();
        assertThat(((Quantity) pNpm1.getValue()).getValue().doubleValue())
                .isEqualTo(0.97, org.assertj.core.data.Offset.offset(1e-6));
        for (Bundle.BundleEntryComponent e : b.getEntry()) {
            assertThat(e.getRequest().getMethod()).isEqualTo(Bundle.HTTPVerb.PUT);
            assertThat(e.getRequest().getUrl())
                    .endsWith("/" + e.getResource().getIdElement().getIdPart());
        }
    }

    @Test
    void renderingIsIdempotentAndIdsDeriveFromTheSpecimen() {
        assertThat(RENDERER.renderJson(report("SPC-0042")))
                .isEqualTo(RENDERER.renderJson(report("SPC-0042")));
        assertThat(RENDERER.renderJson(report("SPC-0043"))).contains("aml-SPC-0043");
        // Ids that are not FHIR-safe (spaces, slashes, length) become a stable hash.
        String odd = "Lab A / patient 17 / smear 3 — second scan";
        String id = FhirReportRenderer.idPart(odd);
        assertThat(id).matches("h[0-9a-f]{24}").isEqualTo(FhirReportRenderer.idPart(odd));
        Bundle b = RENDERER.render(report(odd));
        assertThat(b.getEntry())
                .allSatisfy(
                        e ->
                                assertThat(e.getResource().getIdElement().getIdPart())
                                        .matches("[A-Za-z0-9.-]{1,64}"));
    }
}
