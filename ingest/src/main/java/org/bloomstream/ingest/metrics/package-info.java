/**
 * The ingest service's own metrics: Micrometer with its Prometheus registry, scraped at {@code
 * /metrics} on the HTTP feed's port (or on {@code --metrics-port} for the commands without one).
 * The Flink job reports through Flink's own PrometheusReporter instead; the two never share a
 * process outside the embedded mode.
 */
package org.bloomstream.ingest.metrics;
