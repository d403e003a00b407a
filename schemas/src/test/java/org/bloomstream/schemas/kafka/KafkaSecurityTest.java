package org.bloomstream.schemas.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The client settings every Kafka client of the project gets. */
class KafkaSecurityTest {

    @Test
    void saslSslWithScramAndTruststore() {
        KafkaSecurity s =
                KafkaSecurity.builder()
                        .protocol("sasl_ssl")
                        .sasl("scram-sha-512", "lab", "pa\"ss")
                        .truststore(Path.of("/etc/kafka/ca.p12"), "tspw", "pkcs12")
                        .build();
        Properties p = s.applyTo(ClientSettings.consumer("localhost:9093", "g"));
        assertThat(p)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.type", "PKCS12")
                .containsEntry("isolation.level", "read_committed");
        assertThat(p.getProperty("sasl.jaas.config"))
                .isEqualTo(
                        "org.apache.kafka.common.security.scram.ScramLoginModule required"
                                + " username=\"lab\" password=\"pa\\\"ss\";");
        assertThat(ClientSettings.producer("h:1", s))
                .containsEntry("security.protocol", "SASL_SSL");
        assertThat(ClientSettings.admin("h:1", s)).containsEntry("sasl.mechanism", "SCRAM-SHA-512");
        // No secret in logs.
        assertThat(s.toString()).doesNotContain("pa\\\"ss").doesNotContain("tspw");
        assertThat(KafkaSecurity.NONE.isPlaintext()).isTrue();
    }

    @Test
    void rejectsInconsistentSettings() {
        assertThatThrownBy(() -> KafkaSecurity.builder().protocol("TLS").build())
                .hasMessageContaining("unknown Kafka security protocol");
        assertThatThrownBy(() -> KafkaSecurity.builder().protocol("SASL_SSL").build())
                .hasMessageContaining("needs SASL credentials");
        assertThatThrownBy(
                        () ->
                                KafkaSecurity.builder()
                                        .protocol("SSL")
                                        .sasl("SCRAM-SHA-256", "u", "p")
                                        .build())
                .hasMessageContaining("use SASL_SSL");
        assertThatThrownBy(() -> KafkaSecurity.builder().sasl("GSSAPI", "u", "p"))
                .hasMessageContaining("unsupported SASL mechanism");
    }
}
