/**
 * The Flink job: its typed configuration, its wiring, and the Kafka sources and sinks built from
 * the topic registry.
 */
package org.bloomstream.job;
