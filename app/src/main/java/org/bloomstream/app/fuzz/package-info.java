/**
 * The fuzz run through the whole system: the ingest fuzzer's records produced to {@code cells.raw}
 * on an embedded broker, through the real gate and the Flink job, with every record accounted for
 * from what the pipeline publishes. Kept apart from {@code demo} because its inputs are hostile on
 * purpose and its pass condition is accounting and survival, not classification quality.
 */
package org.bloomstream.app.fuzz;
