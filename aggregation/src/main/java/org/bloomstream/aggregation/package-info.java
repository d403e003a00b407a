/**
 * The aggregation stage: per-specimen streaming MIL state in Flink keyed state, the alert policy
 * and the final specimen report.
 */
package org.bloomstream.aggregation;
