package org.bloomstream.ingest.cli;

import java.io.PrintStream;
import org.bloomstream.ingest.metrics.IngestMetrics;
import org.bloomstream.ingest.metrics.MetricsHttpServer;
import picocli.CommandLine.Option;

/** {@code /metrics} on a port of its own, for the commands without an HTTP feed. */
public final class MetricsOptions {
    @Option(
            names = "--metrics-port",
            defaultValue = "0",
            description =
                    "Serve Prometheus metrics at http://BIND:PORT/metrics; 0 for none"
                            + " (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--metrics-bind",
            defaultValue = "127.0.0.1",
            description =
                    "Interface the metrics port binds; 0.0.0.0 for all (default:"
                            + " ${DEFAULT-VALUE}).")
    String bind;

    public MetricsHttpServer startIfWanted(IngestMetrics metrics, PrintStream out)
            throws Exception {
        if (port <= 0) {
            return null;
        }
        MetricsHttpServer s = MetricsHttpServer.start(bind, port, metrics);
        out.printf("metrics (Prometheus): http://%s:%d/metrics%n", bind, s.port());
        return s;
    }
}
