package org.bloomstream.ingest.live;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.bloomstream.ingest.jetty.SmallJetty;
import org.bloomstream.schemas.kafka.KafkaSecurity;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's live page: {@code GET /} (HTML, CSS and JavaScript from this package's resources),
 * {@code GET /api/live} (the {@link LiveView} snapshot as JSON, with the state of the consumer
 * under {@code source}), {@code GET /api/thumbnail?specimen=ID&cell=ID} (a listed cell's JPEG
 * thumbnail: a cell is named by its specimen and its cell id, never by the cell id alone) and
 * {@code GET /healthz}.
 *
 * <p>Read-only. It binds loopback by default; {@link LiveAccess} answers only the host names it is
 * meant to be reached by (against DNS rebinding) and, when given a token, only requests that carry
 * it (see docs/ingest-identity-and-security.md for exposing it to a lab network). The page holds
 * specimen ids and thumbnails of cells, nothing else about a patient. A malformed query string is
 * 400. Every answer carries a Content-Security-Policy that allows only this origin, so the page can
 * load nothing from elsewhere and nothing can frame it. Errors answer JSON {@code {"error": "..."}}
 * with a status; a failure inside the server is logged without the request's query (which holds
 * cell ids).
 */
public final class LiveServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CSP =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
                    + " connect-src 'self'; base-uri 'none'; form-action 'none';"
                    + " frame-ancestors 'none'";

    private record Asset(String type, byte[] body) {}

    private static final Map<String, Asset> ASSETS =
            Map.of(
                    "/", asset("index.html", "text/html; charset=utf-8"),
                    "/index.html", asset("index.html", "text/html; charset=utf-8"),
                    "/live.css", asset("live.css", "text/css; charset=utf-8"),
                    "/live.js", asset("live.js", "text/javascript; charset=utf-8"));

    private final Server server;
    private final ServerConnector connector;
    private final LiveView view;
    private final LiveViewConsumer source;
    private final boolean ownsSource;
    private final LiveAccess access;

    /** A request the page refuses, with its status. */
    private static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message, null, false, false);
        }
    }

    private LiveServer(
            String host,
            int port,
            LiveView view,
            LiveViewConsumer source,
            boolean ownsSource,
            LiveAccess access) {
        this.view = view;
        this.access = access;
        this.source = source;
        this.ownsSource = ownsSource;
        connector =
                SmallJetty.create(
                        "live-page",
                        host,
                        port,
                        new Handler.Abstract() {
                            @Override
                            public boolean handle(
                                    Request request, Response response, Callback callback) {
                                try {
                                    return route(request, response, callback);
                                } catch (BadRequest e) {
                                    return error(response, callback, 400, e.getMessage());
                                } catch (RuntimeException e) {
                                    LOG.warn(
                                            "live page: {} {} failed: {}",
                                            request.getMethod(),
                                            Request.getPathInContext(request),
                                            e.toString());
                                    return error(
                                            response, callback, 500, "internal error, see the log");
                                }
                            }
                        });
        server = connector.getServer();
    }

    /**
     * Serves the page on {@code host:port} (0 for any free port).
     *
     * @param source the consumer feeding {@code view}, for its state on the page; may be null
     */
    public static LiveServer start(String host, int port, LiveView view, LiveViewConsumer source)
            throws Exception {
        return start(host, port, view, source, LiveAccess.loopback(host));
    }

    /** {@link #start(String, int, LiveView, LiveViewConsumer)} with the given access rules. */
    public static LiveServer start(
            String host, int port, LiveView view, LiveViewConsumer source, LiveAccess access)
            throws Exception {
        LiveServer s = new LiveServer(host, port, view, source, false, access);
        s.server.start();
        return s;
    }

    /**
     * A view fed from the topics of {@code bootstrapServers}, and its server: what the ingest
     * service and the embedded runtime run.
     *
     * @param lookback how far back the view starts reading; null for the beginning
     */
    public static LiveServer startWithConsumer(
            String host, int port, String bootstrapServers, Duration lookback) throws Exception {
        return startWithConsumer(
                host,
                port,
                bootstrapServers,
                KafkaSecurity.NONE,
                lookback,
                LiveAccess.loopback(host));
    }

    /** {@link #startWithConsumer(String, int, String, Duration)} on a secured cluster. */
    public static LiveServer startWithConsumer(
            String host,
            int port,
            String bootstrapServers,
            KafkaSecurity security,
            Duration lookback,
            LiveAccess access)
            throws Exception {
        LiveView view = new LiveView();
        LiveViewConsumer consumer =
                LiveViewConsumer.start(view, bootstrapServers, security, lookback);
        try {
            LiveServer s = new LiveServer(host, port, view, consumer, true, access);
            s.server.start();
            return s;
        } catch (Exception e) {
            consumer.close();
            throw e;
        }
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** The page's address as a browser on this machine reaches it. */
    public URI uri() {
        String host = connector.getHost();
        if (host == null || host.isEmpty() || host.equals("0.0.0.0") || host.equals("::")) {
            host = "127.0.0.1";
        }
        return URI.create("http://" + host + ":" + port() + "/");
    }

    public LiveView view() {
        return view;
    }

    private boolean route(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        headers(response);
        if (!request.getMethod().equals("GET") && !request.getMethod().equals("HEAD")) {
            response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
            return error(response, callback, 405, "only GET and HEAD");
        }
        if (!path.equals("/healthz")) {
            if (!access.hostAllowed(request)) {
                return error(
                        response,
                        callback,
                        403,
                        "this page does not answer to that host name; the operator can allow it"
                                + " with --live-allowed-host");
            }
            if (path.equals("/") && access.hasToken()) {
                String given = query(request).getValue("token");
                if (given != null && access.matches(given)) {
                    // The cookie carries it from now on; the redirect takes it out of the URL.
                    response.getHeaders().put(HttpHeader.SET_COOKIE, access.cookie());
                    response.getHeaders().put(HttpHeader.LOCATION, "/");
                    return write(response, callback, 303, "text/plain", new byte[0]);
                }
            }
            if (!access.authorised(request)) {
                response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
                return error(
                        response,
                        callback,
                        401,
                        "this page needs its token: open /?token=<token> once, or send"
                                + " Authorization: Bearer <token>");
            }
        }
        Asset asset = ASSETS.get(path);
        if (asset != null) {
            return write(response, callback, 200, asset.type(), asset.body());
        }
        switch (path) {
            case "/api/live" -> {
                ObjectNode snapshot = view.snapshot();
                ObjectNode src = snapshot.putObject("source");
                if (source == null) {
                    src.put("connected", true);
                    src.putNull("error");
                    src.put("records", 0);
                } else {
                    String err = source.error();
                    src.put("connected", source.assigned() && err == null);
                    if (err == null) {
                        src.putNull("error");
                    } else {
                        src.put("error", err);
                    }
                    src.put("records", source.records());
                }
                return write(
                        response,
                        callback,
                        200,
                        "application/json",
                        snapshot.toString().getBytes(StandardCharsets.UTF_8));
            }
            case "/api/thumbnail" -> {
                Fields query = query(request);
                String specimen = query.getValue("specimen");
                String cell = query.getValue("cell");
                if (specimen == null || specimen.isEmpty() || cell == null || cell.isEmpty()) {
                    return error(
                            response, callback, 400, "give ?specimen=<specimen id>&cell=<cell id>");
                }
                byte[] jpeg = view.thumbnail(specimen, cell);
                if (jpeg == null) {
                    return error(
                            response,
                            callback,
                            404,
                            "no thumbnail for this cell (not among the most attended, or its"
                                    + " crop is no longer held)");
                }
                // A cell's thumbnail never changes: the page may keep it while it is listed.
                response.getHeaders().put(HttpHeader.CACHE_CONTROL, "private, max-age=600");
                return write(response, callback, 200, "image/jpeg", jpeg);
            }
            case "/healthz" -> {
                boolean ok = source == null || (source.assigned() && source.error() == null);
                ObjectNode h = JSON.createObjectNode();
                h.put("status", ok ? "ok" : "degraded");
                if (!ok) {
                    h.put("error", source.error() == null ? "not reading yet" : source.error());
                }
                return write(
                        response,
                        callback,
                        ok ? 200 : 503,
                        "application/json",
                        h.toString().getBytes(StandardCharsets.UTF_8));
            }
            default -> {
                return error(response, callback, 404, "no such page: see / for the live page");
            }
        }
    }

    /** The query parameters; a malformed query string (bad %-escapes, not UTF-8) is a 400. */
    private static Fields query(Request request) {
        try {
            return Request.extractQueryParameters(request, StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            throw new BadRequest("malformed query string");
        }
    }

    private static void headers(Response response) {
        var h = response.getHeaders();
        h.put("Content-Security-Policy", CSP);
        h.put("X-Content-Type-Options", "nosniff");
        h.put("Referrer-Policy", "no-referrer");
        h.put(HttpHeader.CACHE_CONTROL, "no-store");
    }

    private static boolean error(Response response, Callback callback, int status, String message) {
        ObjectNode n = JSON.createObjectNode();
        n.put("error", message);
        return write(
                response,
                callback,
                status,
                "application/json",
                n.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static boolean write(
            Response response, Callback callback, int status, String type, byte[] body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }

    private static Asset asset(String name, String type) {
        try (InputStream in = LiveServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name + " of the live page");
            }
            return new Asset(type, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            server.stop();
        } finally {
            if (ownsSource && source != null) {
                source.close();
            }
        }
    }
}
