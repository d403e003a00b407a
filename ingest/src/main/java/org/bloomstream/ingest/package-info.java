/**
 * Getting crops into the pipeline: the scanner feeds (watch folder, HTTP, replay), the synthetic
 * scanner, the ingest gate and the ingest benchmark.
 */
package org.bloomstream.ingest;
