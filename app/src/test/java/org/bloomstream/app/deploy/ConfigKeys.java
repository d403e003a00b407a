package org.bloomstream.app.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ExternalResourceOptions;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.MetricOptions;
import org.apache.kafka.server.config.AbstractKafkaConfig;
import org.apache.kafka.storage.internals.log.LogConfig;

/**
 * The configuration keys that Flink 2.2 and Kafka 4.2 know, read from their own classes on the test
 * classpath, so a misspelt or removed key in docker/ or k8s/ fails a test instead of being ignored
 * at run time (Flink and Kafka both ignore unknown keys with at most a warning).
 */
final class ConfigKeys {
    private ConfigKeys() {}

    /** Key -> whether it is deprecated (a deprecated fallback key, or a @Deprecated option). */
    private static final Map<String, Boolean> FLINK = flinkOptions();

    /**
     * Keys of Flink plugins that are not on the test classpath, each with its source: the
     * PrometheusReporter's port (flink-metrics-prometheus) and the S3 filesystem's endpoint, path
     * style and credentials (flink-s3-fs-presto/hadoop).
     */
    static final Set<String> FLINK_PLUGIN_KEYS =
            Set.of("port", "s3.endpoint", "s3.path.style.access", "s3.access-key", "s3.secret-key");

    private static final Pattern REPORTER = Pattern.compile("metrics\\.reporter\\.([^.]+)\\.(.+)");
    private static final Pattern EXTERNAL = Pattern.compile("external-resource\\.([^.]+)\\.(.+)");

    /** Null when {@code key} is a current Flink 2.2 option; otherwise why it is not. */
    static String flinkProblem(String key) {
        Matcher reporter = REPORTER.matcher(key);
        if (reporter.matches()) {
            String suffix = reporter.group(2);
            boolean known =
                    reporterSuffixes().contains(suffix) || FLINK_PLUGIN_KEYS.contains(suffix);
            return known ? null : "unknown metric reporter option '" + suffix + "'";
        }
        Matcher external = EXTERNAL.matcher(key);
        if (external.matches()) {
            String name = external.group(1);
            Set<String> keys =
                    Set.of(
                            ExternalResourceOptions.getAmountConfigOptionForResource(name),
                            ExternalResourceOptions
                                    .getExternalResourceDriverFactoryConfigOptionForResource(name),
                            ExternalResourceOptions.getSystemConfigKeyConfigOptionForResource(
                                    name, "kubernetes.config-key"),
                            ExternalResourceOptions.getSystemConfigKeyConfigOptionForResource(
                                    name, "yarn.config-key"));
            boolean param =
                    key.startsWith(
                            ExternalResourceOptions.getExternalResourceParamConfigPrefixForResource(
                                    name));
            return keys.contains(key) || param ? null : "unknown external resource option";
        }
        if (FLINK_PLUGIN_KEYS.contains(key)) {
            return null;
        }
        Boolean deprecated = FLINK.get(key);
        if (deprecated == null) {
            return "not a Flink " + flinkVersion() + " option";
        }
        return deprecated ? "deprecated in Flink " + flinkVersion() : null;
    }

    static String flinkVersion() {
        return org.apache.flink.runtime.util.EnvironmentInformation.getVersion();
    }

    private static Set<String> reporterSuffixes() {
        Set<String> out = new HashSet<>();
        for (ConfigOption<?> o : options(MetricOptions.class).keySet()) {
            // reporter-scoped options have relative keys ("factory.class", "interval", ...)
            if (!o.key().startsWith("metrics.")) {
                out.add(o.key());
            }
        }
        return out;
    }

    private static Map<String, Boolean> flinkOptions() {
        Map<String, Boolean> keys = new TreeMap<>();
        for (Class<?> c : optionClasses()) {
            for (Map.Entry<ConfigOption<?>, Boolean> e : options(c).entrySet()) {
                ConfigOption<?> o = e.getKey();
                keys.merge(o.key(), e.getValue(), (a, b) -> a && b);
                for (FallbackKey f : o.fallbackKeys()) {
                    keys.putIfAbsent(f.getKey(), f.isDeprecated() || e.getValue());
                }
            }
        }
        return keys;
    }

    /** Every {@code org.apache.flink.configuration.*Options} class of flink-core. */
    private static List<Class<?>> optionClasses() {
        try {
            Path jar =
                    Path.of(
                            CoreOptions.class
                                    .getProtectionDomain()
                                    .getCodeSource()
                                    .getLocation()
                                    .toURI());
            try (JarFile f = new JarFile(jar.toFile())) {
                return f.stream()
                        .map(e -> e.getName())
                        .filter(
                                n ->
                                        n.matches(
                                                "org/apache/flink/configuration/[A-Za-z]+Options\\.class"))
                        .map(n -> n.replace('/', '.').replace(".class", ""))
                        .map(ConfigKeys::load)
                        .toList();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Option -> deprecated, for the public static ConfigOption fields of {@code c}. */
    private static Map<ConfigOption<?>, Boolean> options(Class<?> c) {
        Map<ConfigOption<?>, Boolean> out = new java.util.LinkedHashMap<>();
        for (Field f : c.getFields()) {
            if (Modifier.isStatic(f.getModifiers())
                    && ConfigOption.class.isAssignableFrom(f.getType())) {
                try {
                    out.put((ConfigOption<?>) f.get(null), f.isAnnotationPresent(Deprecated.class));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return out;
    }

    /** Kafka 4.2 broker configuration names. */
    static Set<String> kafkaBroker() {
        return AbstractKafkaConfig.CONFIG_DEF.names();
    }

    /** Kafka 4.2 topic-level configuration names. */
    static Set<String> kafkaTopic() {
        return new HashSet<>(LogConfig.configNames());
    }

    /**
     * The server.properties key an apache/kafka image environment variable sets: KAFKA_ prefix
     * dropped, lower case, "___" -> "-", "__" -> "_", "_" -> ".".
     */
    static String kafkaEnvToKey(String env) {
        String s = env.substring("KAFKA_".length()).toLowerCase(java.util.Locale.ROOT);
        return s.replace("___", "\u0000")
                .replace("__", "\u0001")
                .replace('_', '.')
                .replace('\u0000', '-')
                .replace('\u0001', '_');
    }
}
