/** Kafka client settings shared by the project's producers and consumers. */
package org.bloomstream.ingest.kafka;
