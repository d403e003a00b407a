/**
 * The ingest benchmark (producer plus gate throughput on loopback), run by {@code bloomstream
 * ingest bench}; never by {@code mvn verify}.
 */
package org.bloomstream.ingest.bench;
