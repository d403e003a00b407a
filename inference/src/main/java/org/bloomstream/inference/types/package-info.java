/**
 * Records that travel between the job's inference operators. They never reach Kafka; the wire types
 * are the Avro classes in {@code schemas}.
 */
package org.bloomstream.inference.types;
