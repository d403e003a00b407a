package org.bloomstream.aggregation.fhir;

/** A rendered FHIR document and the specimen it belongs to (the Kafka key). */
public class FhirDocument {
    public String specimenId;
    public String json;

    public FhirDocument() {}

    public FhirDocument(String specimenId, String json) {
        this.specimenId = specimenId;
        this.json = json;
    }
}
