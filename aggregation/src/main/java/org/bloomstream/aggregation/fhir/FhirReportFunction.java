package org.bloomstream.aggregation.fhir;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.bloomstream.schemas.avro.SpecimenReport;

/** The Flink step that turns final reports into FHIR bundles for {@code specimens.fhir}. */
public class FhirReportFunction extends RichMapFunction<SpecimenReport, FhirDocument> {
    private static final long serialVersionUID = 1L;
    private transient FhirReportRenderer renderer;

    @Override
    public void open(OpenContext openContext) {
        renderer = new FhirReportRenderer();
    }

    @Override
    public FhirDocument map(SpecimenReport report) {
        return new FhirDocument(report.getSpecimenId(), renderer.renderJson(report));
    }
}
