package org.bloomstream.ingest.metrics;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.bloomstream.ingest.jetty.SmallJetty;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * {@code GET /metrics} (and {@code /healthz}) on a port of its own, for the ingest commands that
 * have no HTTP feed to share one with ({@code ingest gate}, {@code ingest watch}). Jetty 12 core
 * like the feed, with a small thread pool: a scrape every few seconds is all it serves.
 */
public final class MetricsHttpServer implements AutoCloseable {
    private final Server server;
    private final ServerConnector connector;

    private MetricsHttpServer(String host, int port, IngestMetrics metrics) {
        connector =
                SmallJetty.create(
                        "ingest-metrics",
                        host,
                        port,
                        new Handler.Abstract() {
                            @Override
                            public boolean handle(
                                    Request request, Response response, Callback callback) {
                                String path = Request.getPathInContext(request);
                                if (!request.getMethod().equals("GET")) {
                                    return write(
                                            response, callback, 405, "text/plain", "use GET\n");
                                }
                                return switch (path) {
                                    case "/metrics" ->
                                            write(
                                                    response,
                                                    callback,
                                                    200,
                                                    IngestMetrics.CONTENT_TYPE,
                                                    metrics.scrape());
                                    case "/healthz" ->
                                            write(
                                                    response,
                                                    callback,
                                                    200,
                                                    "application/json",
                                                    "{\"status\":\"ok\"}");
                                    default ->
                                            write(
                                                    response,
                                                    callback,
                                                    404,
                                                    "text/plain",
                                                    "not found\n");
                                };
                            }
                        });
        server = connector.getServer();
    }

    /** Starts serving; {@code port} 0 takes any free port. */
    public static MetricsHttpServer start(String host, int port, IngestMetrics metrics)
            throws Exception {
        MetricsHttpServer s = new MetricsHttpServer(host, port, metrics);
        s.server.start();
        return s;
    }

    public int port() {
        return connector.getLocalPort();
    }

    static boolean write(
            Response response, Callback callback, int status, String type, String body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
        return true;
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
