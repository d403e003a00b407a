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
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.bloomstream.ingest.feed.CropSender;
import org.bloomstream.ingest.feed.Readiness;
import org.bloomstream.ingest.metrics.IngestMetrics;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;
import org.bloomstream.schemas.ids.IdRules;
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
import org.eclipse.jetty.server.handler.MinimumDataRateHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * GET  /readyz              readiness: 503 while Kafka cannot be reached, no token needed
 * GET  /metrics             Prometheus metrics ({@link IngestMetrics}), no token needed
 * </pre>
 *
 * Headers, or multipart form fields of the other name: {@code X-Specimen-Id}/{@code specimenId} and
 * {@code X-Scan-Id}/{@code scanId} are required; {@code X-Cell-Id}/{@code cellId} defaults to
 * {@code sha256:<first 16 hex digits of the image>} (so a retried upload of the same bytes is
 * deduped by the gate, and two different images never share an id); a multipart request with
 * several files gets that default for each file and must not name a cell id; {@code
 * X-Scanner-Id}/{@code scannerId}, {@code X-Capture-Time}/{@code captureTime} (ISO-8601), {@code
 * X-Microns-Per-Pixel}/{@code micronsPerPixel}, {@code X-Reference-Label}/{@code referenceLabel}
 * are optional. Ids are UTF-8 and follow {@link IdRules} ({@link RequestIds}); a crop is identified
 * by (specimen id, cell id).
 *
 * <p>Everything that would make a crop be accepted here and lost later is a 400 before anything is
 * produced: an id against the rules, a header given twice, a header and a form field that disagree,
 * two files of one request with the same file name or the same cell id.
 *
 * <p>Slow clients: bodies are read asynchronously ({@link BodyReader}, Jetty's async multipart
 * parser), so a stalled upload holds no request thread and {@code /healthz}, {@code /metrics} and
 * other uploads keep answering; Jetty's {@link MinimumDataRateHandler} ends a body slower than
 * {@link Options#minRequestDataRate()}, and a body not complete within {@link
 * Options#readDeadline()} is answered 408.
 *
 * <p>Answers: {@code 202} with the cell ids and their Kafka coordinates once the broker has
 * acknowledged every record (acks=all): the crop is durably queued for the gate, which decides
 * whether it is accepted or dead-lettered, the same as for every feed; {@code 400} for a request no
 * crop can be made of (missing or invalid ids, bad header values), with the reason; {@code 401}
 * without the bearer token; {@code 408} for a body not complete within the read deadline; {@code
 * 413} over the size limits, or for a crop Kafka refuses as too large; {@code 429} with {@code
 * Retry-After} when the producer's in-flight budget is spent (backpressure: the scanner retries
 * later instead of the server blocking or buffering without bound); {@code 503} when Kafka fails
 * otherwise or cannot be reached (then at once, see {@link Readiness}). Error bodies carry a
 * reason, never a Java class name. Image validity is not judged here: one gate, one set of rules.
 *
 * <p>{@code /metrics} needs no token, like {@code /healthz}, so that Prometheus can scrape it: it
 * carries counts and timings only, never an id.
 */
public final class CropHttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CropHttpServer.class);

    /**
     * @param host interface to bind ({@code 0.0.0.0} for all)
     * @param port 0 for any free port
     * @param token the bearer token requests must carry; null disables the check
     * @param maxCropBytes largest image
     * @param maxRequestBytes largest request body (multipart with several crops)
     * @param scannerId scanner id for requests that name none
     * @param threads request threads
     * @param idRules the id rules (length limit)
     * @param minRequestDataRate bytes per second a body must arrive at, at least
     * @param readDeadline the longest a body may take to arrive, whatever its rate
     */
    public record Options(
            String host,
            int port,
            String token,
            int maxCropBytes,
            long maxRequestBytes,
            String scannerId,
            int threads,
            IdRules idRules,
            long minRequestDataRate,
            Duration readDeadline) {
        /** 1 KiB/s: a crop of 100 KB in 100 s at worst; a 1 byte/s client is cut off. */
        public static final long DEFAULT_MIN_REQUEST_DATA_RATE = 1024;

        public static final Duration DEFAULT_READ_DEADLINE = Duration.ofSeconds(20);

        public Options {
            Objects.requireNonNull(host);
            Objects.requireNonNull(idRules);
            Objects.requireNonNull(readDeadline);
            if (maxCropBytes < 1 || maxRequestBytes < maxCropBytes || threads < 4) {
                throw new IllegalArgumentException(
                        "maxCropBytes >= 1, maxRequestBytes >= maxCropBytes, threads >= 4");
            }
            if (minRequestDataRate < 0 || readDeadline.isNegative() || readDeadline.isZero()) {
                throw new IllegalArgumentException("minRequestDataRate >= 0, readDeadline > 0");
            }
        }

        /** With the default id rules, minimum data rate and read deadline. */
        public Options(
                String host,
                int port,
                String token,
                int maxCropBytes,
                long maxRequestBytes,
                String scannerId,
                int threads) {
            this(
                    host,
                    port,
                    token,
                    maxCropBytes,
                    maxRequestBytes,
                    scannerId,
                    threads,
                    IdRules.DEFAULT,
                    DEFAULT_MIN_REQUEST_DATA_RATE,
                    DEFAULT_READ_DEADLINE);
        }

        public static Options defaults(int port, String token) {
            return new Options("127.0.0.1", port, token, 8 << 20, 16 << 20, "http", 32);
        }

        public Options withIdRules(IdRules rules) {
            return new Options(
                    host,
                    port,
                    token,
                    maxCropBytes,
                    maxRequestBytes,
                    scannerId,
                    threads,
                    rules,
                    minRequestDataRate,
                    readDeadline);
        }

        public Options withSlowClientLimits(long minRate, Duration deadline) {
            return new Options(
                    host,
                    port,
                    token,
                    maxCropBytes,
                    maxRequestBytes,
                    scannerId,
                    threads,
                    idRules,
                    minRate,
                    deadline);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Server server;
    private final ServerConnector connector;
    private final AtomicLong cropsAcknowledged = new AtomicLong();
    private final AtomicLong throttled = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong bodiesReading = new AtomicLong();
    private final IngestMetrics metrics;

    private CropHttpServer(
            Options options, CropSender sender, IngestMetrics metrics, Readiness readiness) {
        this.metrics = metrics;
        metrics.inFlightBytes(sender, CropSender::inFlightBytes);
        metrics.bodiesReading(bodiesReading, AtomicLong::get);
        QueuedThreadPool pool = new QueuedThreadPool(options.threads(), 4);
        pool.setName("ingest-http");
        server = new Server(pool);
        connector = new ServerConnector(server);
        connector.setHost(options.host());
        connector.setPort(options.port());
        server.addConnector(connector);
        // Jetty's own rate check: a body arriving slower than the minimum fails its read (408).
        server.setHandler(
                new MinimumDataRateHandler(
                        new CropHandler(options, sender, readiness),
                        options.minRequestDataRate(),
                        0));
    }

    /** Starts the feed with metrics of its own. */
    public static CropHttpServer start(Options options, CropSender sender) throws Exception {
        return start(options, sender, IngestMetrics.bare());
    }

    /** Starts the feed, counting into {@code metrics} and serving them at {@code /metrics}. */
    public static CropHttpServer start(Options options, CropSender sender, IngestMetrics metrics)
            throws Exception {
        return start(options, sender, metrics, Readiness.ALWAYS);
    }

    /** Starts the feed, refusing uploads at once (503) while {@code readiness} says not ready. */
    public static CropHttpServer start(
            Options options, CropSender sender, IngestMetrics metrics, Readiness readiness)
            throws Exception {
        CropHttpServer s = new CropHttpServer(options, sender, metrics, readiness);
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

    /** Uploads whose body is still arriving (slow clients; read without holding a thread). */
    public long bodiesReading() {
        return bodiesReading.get();
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

    /**
     * One request's answer, written once: the read deadline and the end of the body race to answer,
     * and the first one wins.
     */
    private final class Answer {
        private final Response response;
        private final Callback callback;
        private final AtomicBoolean done = new AtomicBoolean();

        Answer(Response response, Callback callback) {
            this.response = response;
            this.callback = callback;
        }

        boolean refuse(Refusal r) {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            if (r.status == 429) {
                throttled.incrementAndGet();
                response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            } else {
                refused.incrementAndGet();
            }
            if (r.status == 503) {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, "5");
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
            return true;
        }

        boolean ok(int status, ObjectNode body) {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            write(response, callback, status, body);
            return true;
        }

        boolean isDone() {
            return done.get();
        }
    }

    private final class CropHandler extends Handler.Abstract {
        private final Options options;
        private final CropSender sender;
        private final Readiness readiness;
        private final byte[] token;
        private final io.micrometer.core.instrument.Counter sent;
        private final io.micrometer.core.instrument.Counter throttledCrops;
        private final io.micrometer.core.instrument.Counter tooLarge;
        private final io.micrometer.core.instrument.Counter failed;

        CropHandler(Options options, CropSender sender, Readiness readiness) {
            this.options = options;
            this.sender = sender;
            this.readiness = readiness;
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
            Answer answer = new Answer(response, timed(path, response, done));
            try {
                switch (path) {
                    case "/metrics" -> {
                        requireMethod(request, "GET");
                        response.setStatus(200);
                        response.getHeaders()
                                .put(HttpHeader.CONTENT_TYPE, IngestMetrics.CONTENT_TYPE);
                        response.write(
                                true,
                                ByteBuffer.wrap(metrics.scrape().getBytes(StandardCharsets.UTF_8)),
                                answer.callback);
                        return true;
                    }
                    case "/healthz" -> {
                        requireMethod(request, "GET");
                        ObjectNode ok = JSON.createObjectNode();
                        ok.put("status", "ok");
                        ok.put("inFlightBytes", sender.inFlightBytes());
                        answer.ok(200, ok);
                        return true;
                    }
                    case "/readyz" -> {
                        requireMethod(request, "GET");
                        String why = readiness.notReady();
                        ObjectNode r = JSON.createObjectNode();
                        r.put("status", why == null ? "ready" : "not ready");
                        if (why != null) {
                            r.put("reason", why);
                        }
                        answer.ok(why == null ? 200 : 503, r);
                        return true;
                    }
                    default -> {}
                }
                authenticate(request);
                switch (path) {
                    case "/v1/crops" -> {
                        requireMethod(request, "POST");
                        requireReady();
                        crops(request, answer);
                    }
                    case "/v1/scans/started", "/v1/scans/finished" -> {
                        requireMethod(request, "POST");
                        requireReady();
                        scanEvent(request, answer, path.endsWith("finished"));
                    }
                    default -> throw new Refusal(404, "no such endpoint");
                }
            } catch (Refusal r) {
                answer.refuse(r);
            } catch (RuntimeException e) {
                internalError(answer, e);
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
                        case "/readyz" -> "readyz";
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

        private void requireReady() throws Refusal {
            String why = readiness.notReady();
            if (why != null) {
                throw new Refusal(503, why + "; retry later");
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

        private void crops(Request request, Answer answer) throws Refusal {
            long length = request.getLength();
            if (length > options.maxRequestBytes()) {
                throw new Refusal(
                        413,
                        "request body is " + length + " bytes, limit " + options.maxRequestBytes());
            }
            HttpFields h = request.getHeaders();
            String type = h.get(HttpHeader.CONTENT_TYPE);
            CompletableFuture<List<CellCrop>> crops;
            if (type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
                MultiPartConfig config =
                        new MultiPartConfig.Builder()
                                .maxParts(1000)
                                .maxPartSize(options.maxCropBytes())
                                .maxMemoryPartSize(options.maxCropBytes())
                                .maxSize(options.maxRequestBytes())
                                .build();
                crops =
                        deadline(MultiPartFormData.from(request, request, type, config))
                                .thenApply(parts -> unchecked(() -> multipart(h, parts)));
            } else {
                // The ids are checked before the body is read: a bad one costs no upload.
                RequestIds ids = RequestIds.headers(h, options.idRules());
                Meta meta = meta(ids);
                if (length > options.maxCropBytes()) {
                    throw tooLargeImage();
                }
                crops =
                        deadline(BodyReader.read(request, options.maxCropBytes()))
                                .thenApply(image -> List.of(crop(meta, image, null)));
            }
            // The rest runs on a request thread, never on Jetty's selector: producing may block
            // (the producer waits for metadata up to max.block.ms).
            crops.whenCompleteAsync(
                    (list, ex) -> {
                        if (answer.isDone()) {
                            return;
                        }
                        try {
                            if (ex != null) {
                                throw readFailure(ex);
                            }
                            produce(list, answer);
                        } catch (Refusal r) {
                            answer.refuse(r);
                        } catch (RuntimeException e) {
                            internalError(answer, e);
                        }
                    },
                    server.getThreadPool());
        }

        /** Fails {@code read} with a timeout when it is not done within the read deadline. */
        private <T> CompletableFuture<T> deadline(CompletableFuture<T> read) {
            var task =
                    server.getScheduler()
                            .schedule(
                                    () ->
                                            read.completeExceptionally(
                                                    new ReadDeadline(options.readDeadline())),
                                    options.readDeadline().toMillis(),
                                    TimeUnit.MILLISECONDS);
            bodiesReading.incrementAndGet();
            read.whenComplete(
                    (v, e) -> {
                        task.cancel();
                        bodiesReading.decrementAndGet();
                    });
            return read;
        }

        private List<CellCrop> multipart(HttpFields h, MultiPartFormData.Parts parts)
                throws Refusal {
            try (parts) {
                List<MultiPart.Part> files = new ArrayList<>();
                Set<String> names = new HashSet<>();
                for (MultiPart.Part p : parts) {
                    if (p.getFileName() != null) {
                        if (!names.add(p.getFileName())) {
                            throw new Refusal(
                                    400,
                                    "two files of this request have the same file name; one"
                                            + " would be lost as a duplicate");
                        }
                        files.add(p);
                    }
                }
                if (files.isEmpty()) {
                    throw new Refusal(400, "the multipart request has no file part");
                }
                RequestIds ids = RequestIds.form(h, parts, options.idRules());
                Meta meta = meta(ids);
                if (files.size() > 1 && meta.cellId() != null) {
                    throw new Refusal(
                            400,
                            "a cell id names one crop: send one file per request with a cell"
                                    + " id, or leave the cell id out for several files");
                }
                List<CellCrop> crops = new ArrayList<>();
                Set<String> cells = new HashSet<>();
                for (MultiPart.Part p : files) {
                    byte[] image;
                    try (InputStream in = Content.Source.asInputStream(p.createContentSource())) {
                        image = in.readAllBytes();
                    } catch (IOException e) {
                        throw new Refusal(400, "cannot read a file part");
                    }
                    CellCrop c = crop(meta, image, p.getFileName());
                    if (!cells.add(c.getCellId())) {
                        throw new Refusal(
                                400,
                                "two files of this request have the same bytes (the same cell"
                                        + " id); one would be lost as a duplicate");
                    }
                    crops.add(c);
                }
                return crops;
            }
        }

        private void produce(List<CellCrop> crops, Answer answer) throws Refusal {
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
                                    Throwable cause = ex.getCause() != null ? ex.getCause() : ex;
                                    int status =
                                            cause instanceof CropSender.TooLargeException
                                                    ? 413
                                                    : 503;
                                    (status == 413 ? tooLarge : failed).increment(crops.size());
                                    answer.refuse(
                                            new Refusal(
                                                    status,
                                                    ClientMessages.of(
                                                            cause, "Kafka did not take the crop")));
                                    return;
                                }
                                cropsAcknowledged.addAndGet(crops.size());
                                sent.increment(crops.size());
                                ObjectNode body = JSON.createObjectNode();
                                ArrayNode cells = body.putArray("cells");
                                for (int i = 0; i < crops.size(); i++) {
                                    RecordMetadata md = acks.get(i).join();
                                    ObjectNode c = cells.addObject();
                                    c.put("specimenId", crops.get(i).getSpecimenId());
                                    c.put("cellId", crops.get(i).getCellId());
                                    c.put("topic", md.topic());
                                    c.put("partition", md.partition());
                                    c.put("offset", md.offset());
                                }
                                answer.ok(202, body);
                            });
        }

        /** The metadata every crop of a request shares, checked. */
        private Meta meta(RequestIds ids) throws Refusal {
            String specimen = ids.required(RequestIds.Item.SPECIMEN);
            String scan = ids.required(RequestIds.Item.SCAN);
            String cellId = ids.optional(RequestIds.Item.CELL);
            String scanner = ids.optional(RequestIds.Item.SCANNER);
            String label = ids.optional(RequestIds.Item.REFERENCE_LABEL);
            Instant capture = null;
            String t = ids.optional(RequestIds.Item.CAPTURE_TIME);
            if (t != null) {
                try {
                    capture = Instant.parse(t);
                } catch (DateTimeParseException e) {
                    throw new Refusal(400, "X-Capture-Time is not ISO-8601");
                }
            }
            Double mpp = null;
            String m = ids.optional(RequestIds.Item.MICRONS_PER_PIXEL);
            if (m != null) {
                try {
                    mpp = Double.valueOf(m);
                } catch (NumberFormatException e) {
                    throw new Refusal(400, "X-Microns-Per-Pixel is not a number");
                }
            }
            return new Meta(
                    specimen,
                    scan,
                    cellId,
                    scanner != null ? scanner : options.scannerId(),
                    capture,
                    mpp,
                    label);
        }

        private CellCrop crop(Meta meta, byte[] image, String fileName) {
            String cellId = meta.cellId() != null ? meta.cellId() : "sha256:" + sha256Prefix(image);
            return CellCrop.newBuilder()
                    .setCellId(cellId)
                    .setSpecimenId(meta.specimenId())
                    .setScanId(meta.scanId())
                    .setScannerId(meta.scannerId())
                    .setCaptureTime(meta.captureTime() != null ? meta.captureTime() : Instant.now())
                    .setImage(ByteBuffer.wrap(image))
                    .setEncoding(ImageEncoding.UNKNOWN)
                    .setWidth(0)
                    .setHeight(0)
                    .setMicronsPerPixel(meta.micronsPerPixel())
                    .setReferenceLabel(meta.referenceLabel())
                    .build();
        }

        private Refusal tooLargeImage() {
            return new Refusal(
                    413, "image is larger than the limit of " + options.maxCropBytes() + " bytes");
        }

        /** The answer for a body that could not be read. */
        private Refusal readFailure(Throwable ex) {
            Throwable t = ex;
            while (t instanceof CompletionException && t.getCause() != null) {
                t = t.getCause();
            }
            if (t instanceof Unchecked u) {
                return u.refusal;
            }
            if (t instanceof BodyReader.TooLarge) {
                return tooLargeImage();
            }
            if (t instanceof ReadDeadline || t instanceof TimeoutException) {
                return new Refusal(408, "the request body did not arrive in time");
            }
            for (Throwable c = t; c != null; c = c.getCause()) {
                if (c instanceof HttpException he) {
                    if (he.getCode() == 413) {
                        return new Refusal(413, "multipart request over the size limits");
                    }
                    if (he.getCode() == 408) {
                        return new Refusal(408, "the request body arrived too slowly");
                    }
                }
                if (c instanceof TimeoutException) {
                    return new Refusal(408, "the request body arrived too slowly");
                }
                String m = String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT);
                if (m.contains("size") || m.contains("too large") || m.contains("max")) {
                    return new Refusal(413, "multipart request over the size limits");
                }
            }
            return new Refusal(
                    400,
                    "cannot read the request body: "
                            + ClientMessages.of(t, "malformed or interrupted"));
        }

        private void scanEvent(Request request, Answer answer, boolean finished) throws Refusal {
            RequestIds ids = RequestIds.headers(request.getHeaders(), options.idRules());
            String specimen = ids.required(RequestIds.Item.SPECIMEN);
            String scan = ids.required(RequestIds.Item.SCAN);
            Integer expected = null;
            if (finished) {
                String e = ids.required(RequestIds.Item.EXPECTED_CELLS);
                try {
                    expected = Integer.valueOf(e);
                } catch (NumberFormatException ex) {
                    throw new Refusal(400, "X-Expected-Cells is not a number");
                }
                if (expected < 0) {
                    throw new Refusal(400, "X-Expected-Cells is negative");
                }
            }
            String scanner = ids.optional(RequestIds.Item.SCANNER);
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
                                    answer.refuse(
                                            new Refusal(
                                                    503,
                                                    ClientMessages.of(
                                                            ex, "Kafka did not take the event")));
                                } else {
                                    metrics.scanEvents("http", ev.getType().name()).increment();
                                    ObjectNode body = JSON.createObjectNode();
                                    body.put("scanId", scan);
                                    body.put("event", ev.getType().name());
                                    answer.ok(202, body);
                                }
                            });
        }

        private void internalError(Answer answer, RuntimeException e) {
            // The type only: a message may quote a record, and so a patient's id.
            LOG.warn("ingest http: request failed ({})", e.getClass().getName());
            answer.refuse(new Refusal(500, "internal error, see the server log"));
        }
    }

    /** What the crops of one request share. */
    private record Meta(
            String specimenId,
            String scanId,
            String cellId,
            String scannerId,
            Instant captureTime,
            Double micronsPerPixel,
            String referenceLabel) {}

    /** The read deadline passed. */
    private static final class ReadDeadline extends TimeoutException {
        private static final long serialVersionUID = 1L;

        ReadDeadline(Duration d) {
            super("no complete body within " + d.toSeconds() + " s");
        }
    }

    /** Carries a {@link Refusal} through a CompletableFuture stage. */
    private static final class Unchecked extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Refusal refusal;

        Unchecked(Refusal refusal) {
            super(null, null, false, false);
            this.refusal = refusal;
        }
    }

    private interface RefusingSupplier<T> {
        T get() throws Refusal;
    }

    private static <T> T unchecked(RefusingSupplier<T> s) {
        try {
            return s.get();
        } catch (Refusal r) {
            throw new Unchecked(r);
        }
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
