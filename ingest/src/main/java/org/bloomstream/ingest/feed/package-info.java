/** Scanner feeds as sequences of emissions, and the producer that puts them on Kafka. */
package org.bloomstream.ingest.feed;
