package org.bloomstream.schemas.kafka;

import java.io.Serializable;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * How the project's Kafka clients encrypt and authenticate: the {@code security.protocol}, {@code
 * sasl.*} and {@code ssl.*} client properties, applied alike to every client (the feeds' producers,
 * the gate's Kafka Streams, the Flink job's sources and sinks, the read-back consumers and admin
 * clients). {@link #NONE} is plaintext without authentication, the embedded default.
 *
 * <p>Built from the CLI's {@code --kafka-*} options or in code with {@link #builder()}. It is a
 * plain property map, so anything Kafka's clients accept can be added with {@link
 * Builder#property}. Secrets live in the map (Kafka's clients need them in their configuration);
 * {@link #toString()} shows only which keys are set, never a secret's value.
 */
public final class KafkaSecurity implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Plaintext, no authentication. */
    public static final KafkaSecurity NONE = new KafkaSecurity(Map.of());

    /** SASL mechanisms with a built-in login module. */
    public static final Set<String> MECHANISMS = Set.of("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN");

    private final TreeMap<String, String> properties;

    private KafkaSecurity(Map<String, String> properties) {
        this.properties = new TreeMap<>(properties);
    }

    /** Any client properties, taken as they are. */
    public static KafkaSecurity of(Map<String, String> properties) {
        return new KafkaSecurity(properties);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The client properties, read-only. */
    public Map<String, String> properties() {
        return Collections.unmodifiableMap(properties);
    }

    /** Adds these settings to a client configuration (they win over what is there). */
    public Properties applyTo(Properties p) {
        p.putAll(properties);
        return p;
    }

    /** {@code security.protocol}, PLAINTEXT when unset. */
    public String protocol() {
        return properties.getOrDefault("security.protocol", "PLAINTEXT");
    }

    public boolean isPlaintext() {
        return protocol().equals("PLAINTEXT");
    }

    /** Protocol, mechanism and which keys are set; no value of a secret. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("KafkaSecurity{").append(protocol());
        String mechanism = properties.get("sasl.mechanism");
        if (mechanism != null) {
            s.append(' ').append(mechanism);
        }
        return s.append(", keys=").append(properties.keySet()).append('}').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KafkaSecurity k && k.properties.equals(properties);
    }

    @Override
    public int hashCode() {
        return properties.hashCode();
    }

    /** Builds the property map from the settings a deployment actually chooses. */
    public static final class Builder {
        private final TreeMap<String, String> p = new TreeMap<>();

        private Builder() {}

        /** PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL. */
        public Builder protocol(String protocol) {
            String v = protocol.trim().toUpperCase(Locale.ROOT);
            if (!Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL").contains(v)) {
                throw new IllegalArgumentException(
                        "unknown Kafka security protocol '"
                                + protocol
                                + "' (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)");
            }
            p.put("security.protocol", v);
            return this;
        }

        /**
         * SASL with a user name and password: SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN. Writes {@code
         * sasl.mechanism} and a {@code sasl.jaas.config} for the matching login module.
         */
        public Builder sasl(String mechanism, String username, String password) {
            String m = mechanism.trim().toUpperCase(Locale.ROOT);
            if (!MECHANISMS.contains(m)) {
                throw new IllegalArgumentException(
                        "unsupported SASL mechanism '"
                                + mechanism
                                + "' (SCRAM-SHA-512, SCRAM-SHA-256, PLAIN)");
            }
            if (username == null || username.isBlank() || password == null || password.isEmpty()) {
                throw new IllegalArgumentException("SASL needs a user name and a password");
            }
            String module =
                    m.equals("PLAIN")
                            ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                            : "org.apache.kafka.common.security.scram.ScramLoginModule";
            p.put("sasl.mechanism", m);
            p.put(
                    "sasl.jaas.config",
                    module
                            + " required username=\""
                            + jaasQuote(username)
                            + "\" password=\""
                            + jaasQuote(password)
                            + "\";");
            return this;
        }

        /** The CA (or server) certificates to trust; JKS, PKCS12 or PEM. */
        public Builder truststore(Path location, String password, String type) {
            p.put("ssl.truststore.location", location.toAbsolutePath().toString());
            if (type != null) {
                p.put("ssl.truststore.type", type.toUpperCase(Locale.ROOT));
            }
            if (password != null) {
                p.put("ssl.truststore.password", password);
            }
            return this;
        }

        /** The client's own certificate and key, for brokers that require mutual TLS. */
        public Builder keystore(Path location, String password, String keyPassword, String type) {
            p.put("ssl.keystore.location", location.toAbsolutePath().toString());
            if (type != null) {
                p.put("ssl.keystore.type", type.toUpperCase(Locale.ROOT));
            }
            if (password != null) {
                p.put("ssl.keystore.password", password);
            }
            if (keyPassword != null) {
                p.put("ssl.key.password", keyPassword);
            }
            return this;
        }

        /** Any other client property (applied after the typed settings above). */
        public Builder property(String key, String value) {
            p.put(key, value);
            return this;
        }

        public KafkaSecurity build() {
            String protocol = p.getOrDefault("security.protocol", "PLAINTEXT");
            if (protocol.startsWith("SASL_") && !p.containsKey("sasl.jaas.config")) {
                throw new IllegalArgumentException(
                        protocol + " needs SASL credentials (a user name and a password)");
            }
            if (!protocol.startsWith("SASL_") && p.containsKey("sasl.jaas.config")) {
                throw new IllegalArgumentException(
                        "SASL credentials were given but the security protocol is "
                                + protocol
                                + " (use SASL_SSL)");
            }
            return new KafkaSecurity(p);
        }

        /** JAAS values are double-quoted; a quote or backslash inside must be escaped. */
        static String jaasQuote(String s) {
            return s.replace("\\", "\\\\").replace("\"", "\\\"");
        }
    }
}
