package org.bloomstream.aggregation.fhir;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.util.function.SerializableFunction;
import org.bloomstream.schemas.avro.SpecimenReport;

/**
 * The Flink step that turns final reports into FHIR bundles for {@code specimens.fhir}, optionally
 * rewriting the report first (the job's pseudonyms).
 */
public class FhirReportFunction extends RichMapFunction<SpecimenReport, FhirDocument> {
    private static final long serialVersionUID = 1L;
    private final SerializableFunction<SpecimenReport, SpecimenReport> before;
    private transient FhirReportRenderer renderer;

    public FhirReportFunction() {
        this(r -> r);
    }

    /** Renders {@code before.apply(report)}. */
    public FhirReportFunction(SerializableFunction<SpecimenReport, SpecimenReport> before) {
        this.before = before;
    }

    @Override
    public void open(OpenContext openContext) {
        renderer = new FhirReportRenderer();
    }

    @Override
    public FhirDocument map(SpecimenReport report) {
        SpecimenReport r = before.apply(report);
        return new FhirDocument(r.getSpecimenId(), renderer.renderJson(r));
    }
}
