package org.bloomstream.devkit.embedded;

import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.exporter.HTTPServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.util.Properties;
import org.apache.flink.metrics.prometheus.AbstractPrometheusReporter;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * Flink's Prometheus reporter, bound to one address. Flink's own {@code PrometheusReporter} takes a
 * port but no host and listens on every interface; on a lab PC running the embedded runtime that
 * would publish the job's metrics (specimen counts, dead letters) to the whole network. This one
 * serves the same exposition (it is Flink's reporter, {@link AbstractPrometheusReporter}, with its
 * own HTTP server) on {@code host}, 127.0.0.1 by default.
 *
 * <p>Limit: Flink keeps the reporter's collector registry package-private, so it is read by
 * reflection. A Flink upgrade that renames it fails at the reporter's start (and in {@code
 * EndToEndTest}), not silently.
 */
public final class LoopbackPrometheusReporter extends AbstractPrometheusReporter {
    private final HTTPServer server;

    LoopbackPrometheusReporter(String host, int port) {
        try {
            this.server = new HTTPServer(new InetSocketAddress(host, port), registry(), true);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot serve Prometheus metrics on " + host + ":" + port, e);
        }
        log.info("Prometheus metrics on http://{}:{}/metrics", host, server.getPort());
    }

    /** The port it listens on (the given one, or the one chosen for port 0). */
    public int port() {
        return server.getPort();
    }

    private CollectorRegistry registry() {
        try {
            Field f = AbstractPrometheusReporter.class.getDeclaredField("registry");
            f.setAccessible(true);
            return (CollectorRegistry) f.get(this);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(
                    "Flink's AbstractPrometheusReporter has no 'registry' field any more", e);
        }
    }

    @Override
    public void close() {
        server.stop();
        super.close();
    }

    /**
     * Configured like Flink's: {@code metrics.reporter.<name>.factory.class} names this class,
     * {@code .port} the port and {@code .host} the address (default 127.0.0.1).
     */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            String host = properties.getProperty("host", "127.0.0.1");
            int port = Integer.parseInt(properties.getProperty("port", "9249").trim());
            return new LoopbackPrometheusReporter(host, port);
        }
    }
}
