/**
 * The embedded runtime: a real KRaft broker, the ingest gate and the Flink job on a MiniCluster,
 * all in one JVM, with Flink's Prometheus endpoint and the lab's live page on loopback when asked
 * for, so that the demo shows what a deployment shows.
 */
package org.bloomstream.devkit.embedded;
