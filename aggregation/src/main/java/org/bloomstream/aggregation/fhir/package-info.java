/**
 * FHIR R4 output: final specimen reports as idempotent transaction bundles (DiagnosticReport with
 * category HM, plus Observations), built with HAPI FHIR.
 */
package org.bloomstream.aggregation.fhir;
