/**
 * The embedded runtime: a real KRaft broker, the ingest gate and the Flink job on a MiniCluster,
 * all in one JVM.
 */
package org.bloomstream.app.embedded;
