package org.bloomstream.ingest.cli;

import org.bloomstream.schemas.kafka.KafkaSecurity;
import org.bloomstream.schemas.kafka.KafkaSecurityOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The Kafka cluster a feed or the gate talks to. */
public final class KafkaOptions {
    @Option(
            names = "--bootstrap-servers",
            required = true,
            description = "Kafka bootstrap servers, host:port[,host:port...].")
    String bootstrapServers;

    @Mixin KafkaSecurityOptions security = new KafkaSecurityOptions();

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public KafkaSecurity security() {
        return security.security();
    }
}
