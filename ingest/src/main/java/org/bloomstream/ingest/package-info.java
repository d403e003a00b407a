/**
 * Getting crops into the pipeline: the scanner feeds (watch folder, HTTP, replay), the synthetic
 * scanner, the ingest gate and the ingest benchmark. Also the service's metrics and the lab's live
 * page, which reads the pipeline's outputs back: the ingest service is the one long-running process
 * of ours beside the Flink job, so it serves both.
 */
package org.bloomstream.ingest;
