/**
 * The ingest gate (Kafka Streams): every raw crop is validated and normalised into {@code
 * cells.accepted}, or dead-lettered with a reason into {@code cells.dead}.
 */
package org.bloomstream.ingest.gate;
