/**
 * Inputs of the specimen state other than cells: scan lifecycle events and dead-lettered crops,
 * turned into {@link org.bloomstream.aggregation.SpecimenSignal}s.
 */
package org.bloomstream.aggregation.signals;
