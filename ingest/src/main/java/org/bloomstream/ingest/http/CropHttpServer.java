package org.bloomstream.ingest.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.bloomstream.ingest.feed.CropSender;
import org.bloomstream.ingest.metrics.IngestMetrics;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.http.MultiPartConfig;
import org.eclipse.jetty.http.MultiPartFormData;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The HTTP feed for scanners that push: Jetty 12's core server (no servlet container: one handler,
 * a bounded thread pool, a well-kept multipart parser with size limits).
 *
 * <pre>
 * POST /v1/crops            one crop: the body is the image, metadata in X-* headers;
 *                           or multipart/form-data: metadata fields plus one or more file parts
 * POST /v1/scans/started    scan-started (X-Specimen-Id, X-Scan-Id)
 * POST /v1/scans/finished   scan-finished (also X-Expected-Cells)
 * GET  /healthz             liveness, no token needed
 * GET  /metrics             Prometheus metrics ({@link IngestMetrics}), no token needed
 * </pre>
 *
 * Headers (or multipart fields): {@code X-Specimen-Id}/{@code specimenId} and {@code
 * X-Scan-Id}/{@code scanId} are required; {@code X-Cell-Id}/{@code cellId} defaults to {@code
 * specimenId/sha256:<first 16 hex digits of the image>} (so a retried upload of the same bytes is
 * deduped by the gate), or for several files in one multipart request to {@code
 * specimenId/scanId/fileName}; {@code X-Scanner-Id}, {@code X-Capture-Time} (ISO-8601), {@code
 * X-Microns-Per-Pixel}, {@code X-Reference-Label} are optional.
 *
 * <p>Answers: {@code 202} with the cell ids and their Kafka coordinates once the broker has
 * acknowledged every record (acks=all): the crop is durably queued for the gate, which decides
 * whether it is accepted or dead-lettered, the same as for every feed; {@code 400} for a request no
 * crop can be made of (missing ids, bad header values); {@code 401} without the bearer token;
 * {@code 413} over the size limits, or for a crop Kafka refuses as too large; {@code 429} with
 * {@code Retry-After} when the producer's in-flight budget is spent (backpressure: the scanner
 * retries later instead of the server blocking or buffering without bound); {@code 503} when Kafka
 * fails otherwise. Image validity is not judged here: one gate, one set of rules.
 *
 * <p>{@code /metrics} needs no token, like {@code /healthz}, so that Prometheus can scrape it: it
 * carries counts and timings only, never an id.
 */
public final class CropHttpServer implements AutoCloseable {
    /**
     * @param host interface to bind ({@code 0.0.0.0} for all)
     * @param port 0 for any free port
     * @param token the bearer token requests must carry; null disables the check
     * @param maxCropBytes largest image
     * @param maxRequestBytes largest request body (multipart with several crops)
     * @param scannerId scanner id for requests that name none
     * @param threads request threads
     */
    public record Options(
            String host,
            int port,
            String token,
            int maxCropBytes,
            long maxRequestBytes,
            String scannerId,
            int threads) {
        public Options {
            Objects.requireNonNull(host);
            if (maxCropBytes < 1 || maxRequestBytes < maxCropBytes || threads < 4) {
                throw new IllegalArgumentException(
                        "maxCropBytes >= 1, maxRequestBytes >= maxCropBytes, threads >= 4");
            }
        }

        public static Options defaults(int port, String token) {
            return new Options("127.0.0.1", port, token, 8 << 20, 16 << 20, "http", 32);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Server server;
    private final ServerConnector connector;
    private final AtomicLong cropsAcknowledged = new AtomicLong();
    private final AtomicLong throttled = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final IngestMetrics metrics;

    private CropHttpServer(Options options, CropSender sender, IngestMetrics metrics) {
        this.metrics = metrics;
        metrics.inFlightBytes(sender, CropSender::inFlightBytes);
        QueuedThreadPool pool = new QueuedThreadPool(options.threads(), 4);
        pool.setName("ingest-http");
        server = new Server(pool);
        connector = new ServerConnector(server);
        connector.setHost(options.host());
        connector.setPort(options.port());
        server.addConnector(connector);
        server.setHandler(new CropHandler(options, sender));
    }

    /** Starts the feed with metrics of its own. */
    public static CropHttpServer start(Options options, CropSender sender) throws Exception {
        return start(options, sender, IngestMetrics.bare());
    }

    /** Starts the feed, counting into {@code metrics} and serving them at {@code /metrics}. */
    public static CropHttpServer start(Options options, CropSender sender, IngestMetrics metrics)
            throws Exception {
        CropHttpServer s = new CropHttpServer(options, sender, metrics);
        s.server.start();
        return s;
    }

    /** The port bound (useful with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** Crops acknowledged by Kafka and answered 202. */
    public long cropsAcknowledged() {
        return cropsAcknowledged.get();
    }

    /** Requests answered 429. */
    public long throttled() {
        return throttled.get();
    }

    public IngestMetrics metrics() {
        return metrics;
    }

    /** Requests answered 4xx/5xx other than 429. */
    public long refused() {
        return refused.get();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    /** An answer that ends a request early. */
    private static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Refusal(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** Metadata from headers, overridden by multipart fields of the same meaning. */
    private record Meta(Function<String, String> lookup) {
        String get(String header, String field) {
            return lookup.apply(header + "|" + field);
        }
    }

    private final class CropHandler extends Handler.Abstract {
        private final Options options;
        private final CropSender sender;
        private final byte[] token;
        private final io.micrometer.core.instrument.Counter sent;
        private final io.micrometer.core.instrument.Counter throttledCrops;
        private final io.micrometer.core.instrument.Counter tooLarge;
        private final io.micrometer.core.instrument.Counter failed;

        CropHandler(Options options, CropSender sender) {
            this.options = options;
            this.sender = sender;
            this.sent = metrics.crops("http", "sent");
            this.throttledCrops = metrics.crops("http", "throttled");
            this.tooLarge = metrics.crops("http", "too_large");
            this.failed = metrics.crops("http", "failed");
            this.token =
                    options.token() == null
                            ? null
                            : options.token().getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public boolean handle(Request request, Response response, Callback done) {
            String path = Request.getPathInContext(request);
            Callback callback = timed(path, response, done);
            try {
                if (path.equals("/metrics")) {
                    requireMethod(request, "GET");
                    response.setStatus(200);
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, IngestMetrics.CONTENT_TYPE);
                    response.write(
                            true,
                            ByteBuffer.wrap(metrics.scrape().getBytes(StandardCharsets.UTF_8)),
                            callback);
                    return true;
                }
                if (path.equals("/healthz")) {
                    requireMethod(request, "GET");
                    ObjectNode ok = JSON.createObjectNode();
                    ok.put("status", "ok");
                    ok.put("inFlightBytes", sender.inFlightBytes());
                    write(response, callback, 200, ok);
                    return true;
                }
                authenticate(request);
                switch (path) {
                    case "/v1/crops" -> {
                        requireMethod(request, "POST");
                        crops(request, response, callback);
                    }
                    case "/v1/scans/started", "/v1/scans/finished" -> {
                        requireMethod(request, "POST");
                        scanEvent(request, response, callback, path.endsWith("finished"));
                    }
                    default -> throw new Refusal(404, "no such endpoint: " + path);
                }
            } catch (Refusal r) {
                if (r.status == 429) {
                    throttled.incrementAndGet();
                    response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
                } else {
                    refused.incrementAndGet();
                }
                if (r.status == 401) {
                    response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
                }
                // A refusal may come before the body was read (401, 413, 429). Jetty then drops
                // the connection once it has answered, and a client that pooled it races that
                // close on its next request ("header parser received no bytes"). Saying so in
                // the answer keeps clients from reusing a connection we are about to close.
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
                error(response, callback, r.status, r.getMessage());
            } catch (RuntimeException e) {
                refused.incrementAndGet();
                response.getHeaders().put(HttpHeader.CONNECTION, "close");
                error(response, callback, 500, "internal error: " + e);
            }
            return true;
        }

        /** Times the request until its answer is written, by endpoint and status. */
        private Callback timed(String path, Response response, Callback callback) {
            long t0 = System.nanoTime();
            String endpoint =
                    switch (path) {
                        case "/v1/crops" -> "crops";
                        case "/v1/scans/started" -> "scan_started";
                        case "/v1/scans/finished" -> "scan_finished";
                        case "/healthz" -> "healthz";
                        case "/metrics" -> "metrics";
                        default -> "other"; // unbounded paths must not become label values
                    };
            return new Callback() {
                @Override
                public void succeeded() {
                    metrics.httpRequest(endpoint, response.getStatus(), System.nanoTime() - t0);
                    callback.succeeded();
                }

                @Override
                public void failed(Throwable x) {
                    metrics.httpRequest(endpoint, 0, System.nanoTime() - t0);
                    callback.failed(x);
                }

                @Override
                public InvocationType getInvocationType() {
                    return callback.getInvocationType();
                }
            };
        }

        private void requireMethod(Request request, String method) throws Refusal {
            if (!request.getMethod().equals(method)) {
                throw new Refusal(405, "use " + method);
            }
        }

        private void authenticate(Request request) throws Refusal {
            if (token == null) {
                return;
            }
            String auth = request.getHeaders().get(HttpHeader.AUTHORIZATION);
            if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
                throw new Refusal(401, "a bearer token is required");
            }
            byte[] given = auth.substring(7).trim().getBytes(StandardCharsets.UTF_8);
            // constant time: the comparison does not tell how much of the token was right
            if (!MessageDigest.isEqual(given, token)) {
                throw new Refusal(401, "wrong bearer token");
            }
        }

        private void crops(Request request, Response response, Callback callback) throws Refusal {
            long length = request.getLength();
            if (length > options.maxRequestBytes()) {
                throw new Refusal(
                        413,
                        "request body is " + length + " bytes, limit " + options.maxRequestBytes());
            }
            HttpFields h = request.getHeaders();
            String type = h.get(HttpHeader.CONTENT_TYPE);
            List<CellCrop> crops = new ArrayList<>();
            if (type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
                multipart(request, type, crops);
            } else {
                byte[] image = readBody(request);
                Meta meta = new Meta(k -> h.get(k.substring(0, k.indexOf('|'))));
                crops.add(crop(meta, image, null, false));
            }
            List<byte[]> values = new ArrayList<>(crops.size());
            long total = 0;
            for (CellCrop c : crops) {
                byte[] v = Topics.CELLS_RAW.serializeValue(c);
                values.add(v);
                total += v.length;
            }
            if (!sender.tryReserve(total)) {
                throttledCrops.increment(crops.size());
                throw new Refusal(
                        429,
                        "the producer buffer is full ("
                                + sender.inFlightBytes()
                                + " bytes in flight); retry later");
            }
            List<CompletableFuture<RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < crops.size(); i++) {
                acks.add(
                        sender.sendReserved(
                                Topics.CELLS_RAW,
                                crops.get(i).getSpecimenId(),
                                values.get(i),
                                "crop " + crops.get(i).getCellId()));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new))
                    .whenComplete(
                            (ok, ex) -> {
                                if (ex != null) {
                                    refused.incrementAndGet();
                                    Throwable cause = ex.getCause() != null ? ex.getCause() : ex;
                                    int status =
                                            cause instanceof CropSender.TooLargeException
                                                    ? 413
                                                    : 503;
                                    (status == 413 ? tooLarge : failed).increment(crops.size());
                                    error(response, callback, status, cause.getMessage());
                                    return;
                                }
                                cropsAcknowledged.addAndGet(crops.size());
                                sent.increment(crops.size());
                                ObjectNode body = JSON.createObjectNode();
                                ArrayNode cells = body.putArray("cells");
                                for (int i = 0; i < crops.size(); i++) {
                                    RecordMetadata md = acks.get(i).join();
                                    ObjectNode c = cells.addObject();
                                    c.put("cellId", crops.get(i).getCellId());
                                    c.put("topic", md.topic());
                                    c.put("partition", md.partition());
                                    c.put("offset", md.offset());
                                }
                                write(response, callback, 202, body);
                            });
        }

        private byte[] readBody(Request request) throws Refusal {
            int max = options.maxCropBytes();
            try (InputStream in = Content.Source.asInputStream(request)) {
                byte[] body = in.readNBytes(max + 1);
                if (body.length > max) {
                    throw new Refusal(413, "image is larger than the limit of " + max + " bytes");
                }
                return body;
            } catch (IOException e) {
                throw new Refusal(400, "cannot read the request body: " + e.getMessage());
            }
        }

        private void multipart(Request request, String contentType, List<CellCrop> crops)
                throws Refusal {
            MultiPartConfig config =
                    new MultiPartConfig.Builder()
                            .maxParts(1000)
                            .maxPartSize(options.maxCropBytes())
                            .maxMemoryPartSize(options.maxCropBytes())
                            .maxSize(options.maxRequestBytes())
                            .build();
            MultiPartFormData.Parts parts;
            try {
                parts = MultiPartFormData.getParts(request, request, contentType, config);
            } catch (RuntimeException e) {
                Throwable t = e;
                while (t != null) {
                    if (t instanceof HttpException he && he.getCode() == 413) {
                        throw new Refusal(413, "multipart request over the size limits");
                    }
                    String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
                    if (m.contains("size") || m.contains("too large") || m.contains("max")) {
                        throw new Refusal(
                                413, "multipart request over the size limits: " + t.getMessage());
                    }
                    t = t.getCause();
                }
                throw new Refusal(400, "malformed multipart request: " + e.getMessage());
            }
            try (parts) {
                HttpFields h = request.getHeaders();
                List<MultiPart.Part> files = new ArrayList<>();
                for (MultiPart.Part p : parts) {
                    if (p.getFileName() != null) {
                        files.add(p);
                    }
                }
                if (files.isEmpty()) {
                    throw new Refusal(400, "the multipart request has no file part");
                }
                Meta meta =
                        new Meta(
                                k -> {
                                    String field = k.substring(k.indexOf('|') + 1);
                                    MultiPart.Part p = parts.getFirst(field);
                                    if (p != null && p.getFileName() == null) {
                                        return p.getContentAsString(StandardCharsets.UTF_8);
                                    }
                                    return h.get(k.substring(0, k.indexOf('|')));
                                });
                for (MultiPart.Part p : files) {
                    byte[] image;
                    try (InputStream in = Content.Source.asInputStream(p.createContentSource())) {
                        image = in.readAllBytes();
                    } catch (IOException e) {
                        throw new Refusal(400, "cannot read part " + p.getFileName());
                    }
                    crops.add(crop(meta, image, p.getFileName(), files.size() > 1));
                }
            }
        }

        private CellCrop crop(Meta meta, byte[] image, String fileName, boolean several)
                throws Refusal {
            String specimen = required(meta.get("X-Specimen-Id", "specimenId"), "X-Specimen-Id");
            String scan = required(meta.get("X-Scan-Id", "scanId"), "X-Scan-Id");
            String cellId = trimmed(meta.get("X-Cell-Id", "cellId"));
            if (cellId == null || several) {
                cellId =
                        several
                                ? specimen + "/" + scan + "/" + fileName
                                : specimen + "/sha256:" + sha256Prefix(image);
            }
            String scanner = trimmed(meta.get("X-Scanner-Id", "scannerId"));
            Instant capture = Instant.now();
            String t = trimmed(meta.get("X-Capture-Time", "captureTime"));
            if (t != null) {
                try {
                    capture = Instant.parse(t);
                } catch (DateTimeParseException e) {
                    throw new Refusal(400, "X-Capture-Time is not ISO-8601: " + t);
                }
            }
            Double mpp = null;
            String m = trimmed(meta.get("X-Microns-Per-Pixel", "micronsPerPixel"));
            if (m != null) {
                try {
                    mpp = Double.valueOf(m);
                } catch (NumberFormatException e) {
                    throw new Refusal(400, "X-Microns-Per-Pixel is not a number: " + m);
                }
            }
            return CellCrop.newBuilder()
                    .setCellId(cellId)
                    .setSpecimenId(specimen)
                    .setScanId(scan)
                    .setScannerId(scanner != null ? scanner : options.scannerId())
                    .setCaptureTime(capture)
                    .setImage(ByteBuffer.wrap(image))
                    .setEncoding(ImageEncoding.UNKNOWN)
                    .setWidth(0)
                    .setHeight(0)
                    .setMicronsPerPixel(mpp)
                    .setReferenceLabel(trimmed(meta.get("X-Reference-Label", "referenceLabel")))
                    .build();
        }

        private void scanEvent(
                Request request, Response response, Callback callback, boolean finished)
                throws Refusal {
            HttpFields h = request.getHeaders();
            String specimen = required(h.get("X-Specimen-Id"), "X-Specimen-Id");
            String scan = required(h.get("X-Scan-Id"), "X-Scan-Id");
            Integer expected = null;
            if (finished) {
                String e = required(h.get("X-Expected-Cells"), "X-Expected-Cells");
                try {
                    expected = Integer.valueOf(e);
                } catch (NumberFormatException ex) {
                    throw new Refusal(400, "X-Expected-Cells is not a number: " + e);
                }
                if (expected < 0) {
                    throw new Refusal(400, "X-Expected-Cells is negative");
                }
            }
            String scanner = trimmed(h.get("X-Scanner-Id"));
            ScanEvent ev =
                    new ScanEvent(
                            scan,
                            specimen,
                            scanner != null ? scanner : options.scannerId(),
                            finished ? ScanEventType.FINISHED : ScanEventType.STARTED,
                            Instant.now(),
                            expected);
            sender.scanEvent(ev)
                    .whenComplete(
                            (md, ex) -> {
                                if (ex != null) {
                                    refused.incrementAndGet();
                                    error(response, callback, 503, ex.getMessage());
                                } else {
                                    metrics.scanEvents("http", ev.getType().name()).increment();
                                    ObjectNode body = JSON.createObjectNode();
                                    body.put("scanId", scan);
                                    body.put("event", ev.getType().name());
                                    write(response, callback, 202, body);
                                }
                            });
        }
    }

    private static String required(String value, String name) throws Refusal {
        String v = trimmed(value);
        if (v == null) {
            throw new Refusal(400, name + " is required");
        }
        return v;
    }

    private static String trimmed(String s) {
        if (s == null) {
            return null;
        }
        String t = s.trim();
        return t.isEmpty() ? null : t;
    }

    static String sha256Prefix(byte[] bytes) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(bytes);
            return HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void error(Response response, Callback callback, int status, String message) {
        ObjectNode body = JSON.createObjectNode();
        body.put("error", message == null ? "error" : message);
        write(response, callback, status, body);
    }

    private static void write(Response response, Callback callback, int status, ObjectNode body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            callback.failed(e);
            return;
        }
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }
}
