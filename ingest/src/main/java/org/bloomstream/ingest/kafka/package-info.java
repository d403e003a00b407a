/**
 * Kafka plumbing shared by the project: client settings tuned for image payloads, and {@link
 * org.bloomstream.ingest.kafka.EmbeddedKafka}, a real single-node KRaft broker in-process (the
 * embedded mode, the ingest benchmark and every test that needs a real broker).
 */
package org.bloomstream.ingest.kafka;
