package org.bloomstream.schemas.kafka;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * TLS and SASL for every Kafka client a command creates. Passwords are read from environment
 * variables named by the options, never from the command line (which {@code ps} shows).
 */
public final class KafkaSecurityOptions {
    @Option(
            names = "--kafka-security-protocol",
            defaultValue = "PLAINTEXT",
            paramLabel = "PROTOCOL",
            description = "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (default: ${DEFAULT-VALUE}).")
    String protocol;

    @Option(
            names = "--kafka-sasl-mechanism",
            defaultValue = "SCRAM-SHA-512",
            description = "SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN (default: ${DEFAULT-VALUE}).")
    String mechanism;

    @Option(names = "--kafka-sasl-username", description = "SASL user name.")
    String username;

    @Option(
            names = "--kafka-sasl-password-env",
            defaultValue = "BLOOMSTREAM_KAFKA_PASSWORD",
            paramLabel = "VAR",
            description =
                    "Environment variable holding the SASL password (default: ${DEFAULT-VALUE}).")
    String passwordEnv;

    @Option(
            names = "--kafka-truststore",
            paramLabel = "FILE",
            description = "CA certificates to trust: PKCS12, JKS or PEM (default: the JDK's).")
    Path truststore;

    @Option(
            names = "--kafka-truststore-type",
            defaultValue = "PKCS12",
            description = "PKCS12, JKS or PEM (default: ${DEFAULT-VALUE}).")
    String truststoreType;

    @Option(
            names = "--kafka-truststore-password-env",
            defaultValue = "BLOOMSTREAM_KAFKA_TRUSTSTORE_PASSWORD",
            paramLabel = "VAR",
            description =
                    "Environment variable holding the truststore password, if it has one"
                            + " (default: ${DEFAULT-VALUE}).")
    String truststorePasswordEnv;

    @Option(
            names = "--kafka-keystore",
            paramLabel = "FILE",
            description = "Client certificate and key, for brokers that require mutual TLS.")
    Path keystore;

    @Option(
            names = "--kafka-keystore-type",
            defaultValue = "PKCS12",
            description = "PKCS12, JKS or PEM (default: ${DEFAULT-VALUE}).")
    String keystoreType;

    @Option(
            names = "--kafka-keystore-password-env",
            defaultValue = "BLOOMSTREAM_KAFKA_KEYSTORE_PASSWORD",
            paramLabel = "VAR",
            description =
                    "Environment variable holding the keystore (and key) password"
                            + " (default: ${DEFAULT-VALUE}).")
    String keystorePasswordEnv;

    public KafkaSecurity security() {
        KafkaSecurity.Builder b = KafkaSecurity.builder().protocol(protocol);
        if (protocol.toUpperCase(java.util.Locale.ROOT).startsWith("SASL_")) {
            String password = System.getenv(passwordEnv);
            if (username == null || password == null || password.isEmpty()) {
                throw new IllegalArgumentException(
                        protocol
                                + " needs --kafka-sasl-username and the password in $"
                                + passwordEnv);
            }
            b.sasl(mechanism, username, password);
        }
        if (truststore != null) {
            b.truststore(truststore, System.getenv(truststorePasswordEnv), truststoreType);
        }
        if (keystore != null) {
            String pw = System.getenv(keystorePasswordEnv);
            b.keystore(keystore, pw, pw, keystoreType);
        }
        return b.build();
    }
}
