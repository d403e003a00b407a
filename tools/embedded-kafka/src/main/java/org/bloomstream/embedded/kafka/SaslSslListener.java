package org.bloomstream.embedded.kafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bloomstream.schemas.kafka.KafkaSecurity;

/**
 * A SASL_SSL listener for {@link EmbeddedKafka}: TLS with a broker certificate, SCRAM-SHA-512
 * authentication of one user. What the security tests run every client against; a real cluster
 * configures its listeners itself and the clients only need {@link #clientSecurity()}'s kind of
 * settings.
 *
 * @param keystore the broker's PKCS12 keystore (key and certificate for {@code localhost})
 * @param truststore a PKCS12 truststore holding the broker certificate
 * @param storePassword password of both stores and of the key
 * @param user the SCRAM user the clients log in as
 * @param password its password
 */
public record SaslSslListener(
        Path keystore, Path truststore, String storePassword, String user, String password) {

    /** The listener's name on the broker. */
    public static final String NAME = "SECURE";

    /** The SASL mechanism the listener accepts. */
    public static final String MECHANISM = "SCRAM-SHA-512";

    /**
     * Generates a self-signed certificate for {@code localhost} and {@code 127.0.0.1} with the
     * JDK's {@code keytool} (offline), valid for a week, and its truststore, under {@code dir}.
     */
    public static SaslSslListener selfSigned(Path dir, String user, String password)
            throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String pw = "store-" + Long.toHexString(System.nanoTime());
        Path ks = dir.resolve("broker.p12");
        Path cert = dir.resolve("broker.pem");
        Path ts = dir.resolve("truststore.p12");
        keytool(
                "-genkeypair",
                "-alias",
                "broker",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-validity",
                "7",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=dns:localhost,ip:127.0.0.1",
                "-storetype",
                "PKCS12",
                "-keystore",
                ks.toString(),
                "-storepass",
                pw,
                "-keypass",
                pw);
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                "broker",
                "-keystore",
                ks.toString(),
                "-storepass",
                pw,
                "-file",
                cert.toString());
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                "broker",
                "-file",
                cert.toString(),
                "-storetype",
                "PKCS12",
                "-keystore",
                ts.toString(),
                "-storepass",
                pw);
        return new SaslSslListener(ks, ts, pw, user, password);
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        // Output to a file, not a pipe: reading a pipe would block until keytool exits, and the
        // timeout below could never fire.
        Path log = Files.createTempFile("keytool-", ".log");
        try {
            Process p =
                    new ProcessBuilder(cmd)
                            .redirectErrorStream(true)
                            .redirectOutput(log.toFile())
                            .start();
            boolean exited = p.waitFor(60, TimeUnit.SECONDS);
            if (!exited) {
                p.destroyForcibly();
            }
            if (!exited || p.exitValue() != 0) {
                throw new IOException(
                        "keytool "
                                + args[0]
                                + (exited ? " failed: " : " timed out: ")
                                + Files.readString(log, StandardCharsets.UTF_8));
            }
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /**
     * Broker settings that add this listener beside the test kit's plaintext ones ({@code EXTERNAL}
     * for the broker itself, {@code CONTROLLER}).
     */
    public Map<String, String> brokerConfig() {
        String l = "listener.name." + NAME.toLowerCase(java.util.Locale.ROOT) + ".";
        Map<String, String> c = new LinkedHashMap<>();
        c.put(
                "listeners",
                "EXTERNAL://localhost:0,CONTROLLER://localhost:0," + NAME + "://localhost:0");
        c.put(
                "listener.security.protocol.map",
                "EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT," + NAME + ":SASL_SSL");
        c.put("sasl.enabled.mechanisms", MECHANISM);
        c.put(l + "sasl.enabled.mechanisms", MECHANISM);
        c.put(
                l + MECHANISM.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        c.put(l + "ssl.keystore.location", keystore.toAbsolutePath().toString());
        c.put(l + "ssl.keystore.type", "PKCS12");
        c.put(l + "ssl.keystore.password", storePassword);
        c.put(l + "ssl.key.password", storePassword);
        return c;
    }

    /** What a client of this listener configures: SASL_SSL, SCRAM-SHA-512, the truststore. */
    public KafkaSecurity clientSecurity() {
        return KafkaSecurity.builder()
                .protocol("SASL_SSL")
                .sasl(MECHANISM, user, password)
                .truststore(truststore, storePassword, "PKCS12")
                .build();
    }

    @Override
    public String toString() {
        return "SaslSslListener{" + NAME + ", " + MECHANISM + ", user=" + user + "}";
    }
}
