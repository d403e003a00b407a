/**
 * The wire contract: Avro schemas (generated into {@code org.bloomstream.schemas.avro} from {@code
 * src/main/avro}, never committed), their Kafka serdes and the typed topic registry {@link
 * org.bloomstream.schemas.Topics}. Every other module depends on this one and on nothing else for
 * what travels between stages.
 */
package org.bloomstream.schemas;
