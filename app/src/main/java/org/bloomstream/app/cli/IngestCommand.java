package org.bloomstream.app.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.bloomstream.bench.IngestBench;
import org.bloomstream.devkit.feed.FeedProducer;
import org.bloomstream.devkit.replay.FolderReplay;
import org.bloomstream.ingest.feed.CropSender;
import org.bloomstream.ingest.gate.GateConfig;
import org.bloomstream.ingest.gate.IngestGate;
import org.bloomstream.ingest.http.CropHttpServer;
import org.bloomstream.ingest.live.LiveServer;
import org.bloomstream.ingest.metrics.IngestMetrics;
import org.bloomstream.ingest.metrics.MetricsHttpServer;
import org.bloomstream.ingest.watch.WatchFolder;
import org.bloomstream.schemas.LogIds;
import org.bloomstream.schemas.kafka.KafkaSecurityOptions;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bloomstream ingest}: the scanner feeds, the gate and the ingest benchmark. */
@Command(
        name = "ingest",
        mixinStandardHelpOptions = true,
        description = {
            "Scanner feeds into cells.raw, the ingest gate, and the ingest benchmark.",
            "",
            "The feeds (watch, serve, replay) only produce to cells.raw and scans.events; the",
            "gate (a Kafka Streams app, exactly-once) turns cells.raw into cells.accepted and",
            "cells.dead. Run the gate once per cluster with `ingest gate` (more instances share",
            "the work), or inside a feed's JVM with --with-gate. The topics must exist."
        },
        subcommands = {
            IngestCommand.Gate.class,
            IngestCommand.Watch.class,
            IngestCommand.Serve.class,
            IngestCommand.Replay.class,
            IngestCommand.Bench.class
        })
final class IngestCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The Kafka cluster to talk to. */
    static final class Kafka {
        @Option(
                names = "--bootstrap-servers",
                required = true,
                description = "Kafka bootstrap servers, host:port[,host:port...].")
        String bootstrapServers;

        @Mixin KafkaSecurityOptions security = new KafkaSecurityOptions();
    }

    /** How the gate runs and what it accepts. */
    static final class GateOptions {
        @Option(
                names = "--application-id",
                defaultValue = "bloomstream-gate",
                description =
                        "Kafka Streams application id of the gate; instances with the same id"
                                + " share the work (default: ${DEFAULT-VALUE}).")
        String applicationId;

        @Option(
                names = "--gate-state-dir",
                paramLabel = "DIR",
                description =
                        "Where the gate keeps its dedupe store (RocksDB; rebuilt from its"
                                + " changelog if lost) (default: ./.bloomstream/gate-state).")
        Path stateDir;

        @Option(
                names = "--dedupe-window",
                defaultValue = "24h",
                converter = DurationConverter.class,
                description =
                        "How long a cell id is remembered for dedupe: 90s, 30m, 24h, 7d or"
                                + " ISO-8601 (default: ${DEFAULT-VALUE}).")
        Duration dedupeWindow;

        @Option(
                names = "--max-image-bytes",
                defaultValue = "8388608",
                description =
                        "Largest encoded crop the gate accepts; keep it below the topics'"
                                + " max.message.bytes (default: ${DEFAULT-VALUE}).")
        int maxImageBytes;

        @Option(
                names = "--max-pixels",
                defaultValue = "16777216",
                description =
                        "Largest width*height an image header may claim; larger is a"
                                + " decompression bomb (default: ${DEFAULT-VALUE}).")
        long maxPixels;

        @Option(
                names = "--min-edge",
                defaultValue = "8",
                description =
                        "Smallest crop width or height in pixels (default: ${DEFAULT-VALUE}).")
        int minEdge;

        GateConfig config() {
            return new GateConfig(maxImageBytes, maxPixels, minEdge, dedupeWindow);
        }

        KafkaStreams start(Kafka kafka, PrintStream out, IngestMetrics metrics) throws Exception {
            Path dir = stateDir != null ? stateDir : Path.of(".bloomstream", "gate-state");
            Files.createDirectories(dir);
            out.printf(
                    "starting the ingest gate (%s, exactly_once_v2, dedupe window %s) ...%n",
                    applicationId, dedupeWindow);
            KafkaStreams gate =
                    IngestGate.start(
                            config(),
                            IngestGate.streamsConfig(
                                    kafka.bootstrapServers,
                                    applicationId,
                                    dir,
                                    kafka.security.security()),
                            Duration.ofMinutes(2),
                            metrics);
            out.println("ingest gate running");
            return gate;
        }
    }

    /** With {@code --with-gate}, a feed also runs the gate in its JVM. */
    static final class OptionalGate {
        @Option(
                names = "--with-gate",
                description =
                        "Also run the ingest gate in this process (default: off; run `ingest"
                                + " gate` separately).")
        boolean withGate;

        @Mixin GateOptions gate;

        KafkaStreams startIfWanted(Kafka kafka, PrintStream out, IngestMetrics metrics)
                throws Exception {
            return withGate ? gate.start(kafka, out, metrics) : null;
        }
    }

    /** {@code /metrics} on a port of its own, for the commands without an HTTP feed. */
    static final class MetricsOptions {
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

        MetricsHttpServer startIfWanted(IngestMetrics metrics, PrintStream out) throws Exception {
            if (port <= 0) {
                return null;
            }
            MetricsHttpServer s = MetricsHttpServer.start(bind, port, metrics);
            out.printf("metrics (Prometheus): http://%s:%d/metrics%n", bind, s.port());
            return s;
        }
    }

    /** The lab's live page ({@link LiveServer}) on a port of its own. */
    static final class LiveOptions {
        @Option(
                names = "--live-port",
                defaultValue = "0",
                description =
                        "Serve the lab's live page (open specimens, differential, subtype"
                                + " probabilities, alerts, most attended cells) at"
                                + " http://LIVE-BIND:PORT/; 0 for none (default: ${DEFAULT-VALUE}).")
        int port;

        @Option(
                names = "--live-bind",
                defaultValue = "127.0.0.1",
                description =
                        "Interface the live page binds; 0.0.0.0 for all. The page has no"
                                + " login: expose it to the lab's network only (default:"
                                + " ${DEFAULT-VALUE}).")
        String bind;

        @Option(
                names = "--live-lookback",
                defaultValue = "30m",
                converter = DurationConverter.class,
                description =
                        "How far back the live page starts reading the topics when it starts"
                                + " (default: ${DEFAULT-VALUE}).")
        Duration lookback;

        LiveServer startIfWanted(Kafka kafka, PrintStream out) throws Exception {
            if (port <= 0) {
                return null;
            }
            LiveServer s =
                    LiveServer.startWithConsumer(
                            bind,
                            port,
                            kafka.bootstrapServers,
                            kafka.security.security(),
                            lookback);
            out.printf("live page: http://%s:%d/%n", bind, s.port());
            return s;
        }
    }

    /** Parses 90s, 30m, 24h, 7d, 500ms or ISO-8601 durations. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            try {
                if (v.startsWith("p")) {
                    return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
                }
                if (v.endsWith("ms")) {
                    return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
                }
                long n = Long.parseLong(v.substring(0, v.length() - 1));
                return switch (v.charAt(v.length() - 1)) {
                    case 's' -> Duration.ofSeconds(n);
                    case 'm' -> Duration.ofMinutes(n);
                    case 'h' -> Duration.ofHours(n);
                    case 'd' -> Duration.ofDays(n);
                    default -> throw new NumberFormatException();
                };
            } catch (NumberFormatException
                    | DateTimeParseException
                    | StringIndexOutOfBoundsException e) {
                throw new CommandLine.TypeConversionException(
                        "'" + value + "' is not a duration (90s, 30m, 24h, 7d, 500ms, PT1H)");
            }
        }
    }

    /** Ctrl-C: stop the loop, let the command close cleanly, then let the JVM go. */
    static final class Running implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        private final CountDownLatch closed = new CountDownLatch(1);
        private final Thread hook;

        Running() {
            hook =
                    new Thread(
                            () -> {
                                running.set(false);
                                try {
                                    closed.await(
                                            java.util.concurrent.TimeUnit.SECONDS.toMillis(15),
                                            java.util.concurrent.TimeUnit.MILLISECONDS);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            },
                            "ingest-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
        }

        boolean get() {
            return running.get();
        }

        @Override
        public void close() {
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down
            }
        }
    }

    static String elapsed(long t0) {
        return String.format(Locale.ROOT, "[%7.1fs]", (System.nanoTime() - t0) / 1e9);
    }

    // ------------------------------------------------------------------ gate

    @Command(
            name = "gate",
            mixinStandardHelpOptions = true,
            description = {
                "Runs the ingest gate: cells.raw -> cells.accepted | cells.dead (Kafka Streams,",
                "exactly_once_v2, dedupe by cell id). Prints what it processed every few seconds",
                "until stopped with Ctrl-C."
            })
    static final class Gate implements Callable<Integer> {
        @Mixin Kafka kafka;
        @Mixin GateOptions gate;
        @Mixin MetricsOptions metricsOptions;
        @Mixin LiveOptions live;

        @Option(
                names = "--report-every-s",
                defaultValue = "10",
                description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
        int reportEvery;

        @Override
        public Integer call() throws Exception {
            PrintStream out = System.out;
            long t0 = System.nanoTime();
            try (Running running = new Running();
                    IngestMetrics metrics = IngestMetrics.create()) {
                KafkaStreams streams = gate.start(kafka, out, metrics);
                MetricsHttpServer metricsServer = null;
                LiveServer liveServer = null;
                try {
                    metricsServer = metricsOptions.startIfWanted(metrics, out);
                    liveServer = live.startIfWanted(kafka, out);
                    long last = -1;
                    while (running.get()) {
                        long processed = processed(streams);
                        if (processed != last) {
                            out.printf(
                                    "%s gate %s | records processed %d%n",
                                    elapsed(t0), streams.state(), processed);
                            last = processed;
                        }
                        sleep(Duration.ofSeconds(reportEvery), running);
                    }
                } finally {
                    if (liveServer != null) {
                        liveServer.close();
                    }
                    if (metricsServer != null) {
                        metricsServer.close();
                    }
                    streams.close(Duration.ofSeconds(10));
                }
            }
            return 0;
        }
    }

    /** Records the gate's stream threads have processed (sum of process-total). */
    static long processed(KafkaStreams streams) {
        double total = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            if (e.getKey().name().equals("process-total")
                    && e.getKey().group().equals("stream-thread-metrics")) {
                Object v = e.getValue().metricValue();
                if (v instanceof Number n) {
                    total += n.doubleValue();
                }
            }
        }
        return (long) total;
    }

    static void sleep(Duration d, Running running) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        while (running.get() && System.nanoTime() < end) {
            Thread.sleep(Math.min(100, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        }
    }

    // ------------------------------------------------------------------ watch

    @Command(
            name = "watch",
            mixinStandardHelpOptions = true,
            description = {
                "Watches DIR for scan folders and produces their crops as they appear.",
                "",
                "Layout: DIR/<scan folder>/<crops>. A scan is complete when its folder holds",
                "scan.done (optionally containing the crop count) or manifest.csv. Ids: the",
                "folder name, or specimenId/scanId/scannerId/micronsPerPixel from",
                "scan.properties. Progress is journalled under --state-dir, so a restarted",
                "adapter resumes; with the gate's dedupe each crop is accepted exactly once.",
                "Files are never deleted unless --on-finish DELETE."
            })
    static final class Watch implements Callable<Integer> {
        @Parameters(
                index = "0",
                paramLabel = "DIR",
                description = "The folder scanners write into.")
        Path dir;

        @Mixin Kafka kafka;

        @Option(
                names = "--state-dir",
                paramLabel = "DIR",
                description = "Where the journals are kept (default: DIR/.bloomstream-watch).")
        Path stateDir;

        @Option(
                names = "--scanner-id",
                description = "Scanner id for scans that name none (default: the folder's name).")
        String scannerId;

        @Option(
                names = "--poll-ms",
                defaultValue = "500",
                description = "Milliseconds between passes over DIR (default: ${DEFAULT-VALUE}).")
        long pollMs;

        @Option(
                names = "--settle-ms",
                defaultValue = "1000",
                description =
                        "A file is taken once unchanged for this long, or at once when its scan"
                                + " is complete; 0 if scanners write then rename (default:"
                                + " ${DEFAULT-VALUE}).")
        long settleMs;

        @Option(
                names = "--batch",
                defaultValue = "32",
                description =
                        "Crops sent before waiting for the broker's acks and journalling them"
                                + " (default: ${DEFAULT-VALUE}).")
        int batch;

        @Option(
                names = "--max-crop-bytes",
                defaultValue = "8388608",
                description =
                        "Larger files are dead-lettered (IMAGE_TOO_LARGE, with their path)"
                                + " instead of sent (default: ${DEFAULT-VALUE}).")
        long maxCropBytes;

        @Option(
                names = "--on-finish",
                defaultValue = "KEEP",
                description =
                        "What to do with a scan folder once its scan-finished is acknowledged:"
                                + " ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
        WatchFolder.OnFinish onFinish;

        @Option(
                names = "--once",
                description =
                        "Exit when every scan folder present is finished, instead of watching"
                                + " on (default: off).")
        boolean once;

        @Mixin OptionalGate gate;
        @Mixin MetricsOptions metricsOptions;

        @Override
        public Integer call() throws Exception {
            if (!Files.isDirectory(dir)) {
                System.err.println("not a directory: " + dir);
                return 2;
            }
            PrintStream out = System.out;
            WatchFolder.Options o =
                    WatchFolder.Options.defaults(dir)
                            .withSettle(Duration.ofMillis(settleMs))
                            .withBatch(batch)
                            .withMaxCropBytes(maxCropBytes)
                            .withOnFinish(onFinish);
            if (stateDir != null) {
                o = o.withStateDir(stateDir.toAbsolutePath().normalize());
            }
            if (scannerId != null) {
                o = o.withScannerId(scannerId);
            }
            long t0 = System.nanoTime();
            // the shutdown hook waits for `running` to close, which comes last of all
            Running running = new Running();
            KafkaStreams streams = null;
            MetricsHttpServer metricsServer = null;
            try (IngestMetrics metrics = IngestMetrics.create();
                    CropSender sender =
                            CropSender.connect(
                                    kafka.bootstrapServers, 64L << 20, kafka.security.security())) {
                streams = gate.startIfWanted(kafka, out, metrics);
                metricsServer = metricsOptions.startIfWanted(metrics, out);
                long[] lastPrint = {0};
                WatchFolder w =
                        new WatchFolder(
                                o,
                                sender,
                                new WatchFolder.Listener() {
                                    @Override
                                    public void recorded(String scan, int sentInScan) {
                                        long now = System.nanoTime();
                                        if (now - lastPrint[0] > 1_000_000_000L) {
                                            lastPrint[0] = now;
                                            out.printf(
                                                    "%s scan %s: %d crops sent%n",
                                                    elapsed(t0), LogIds.ref(scan), sentInScan);
                                        }
                                    }

                                    @Override
                                    public void finished(String scan, String specimen, int n) {
                                        // ids by reference only: this output is the
                                        // service's log, and the ids name a patient's sample
                                        out.printf(
                                                "%s scan %s finished: specimen %s, %d crops%n",
                                                elapsed(t0),
                                                LogIds.ref(scan),
                                                LogIds.ref(specimen),
                                                n);
                                    }

                                    @Override
                                    public void warning(String scan, String message) {
                                        out.printf(
                                                "%s scan %s: WARNING %s%n",
                                                elapsed(t0), LogIds.ref(scan), message);
                                    }
                                },
                                metrics);
                out.printf(
                        "watching %s (journal %s, settle %d ms)%n",
                        o.root(), o.stateDir(), settleMs);
                w.run(running::get, Duration.ofMillis(pollMs), once);
                out.printf("%s done: %d crops sent%n", elapsed(t0), w.produced());
            } finally {
                if (metricsServer != null) {
                    metricsServer.close();
                }
                if (streams != null) {
                    streams.close(Duration.ofSeconds(10));
                }
                running.close();
            }
            return 0;
        }
    }

    // ------------------------------------------------------------------ serve

    @Command(
            name = "serve",
            mixinStandardHelpOptions = true,
            description = {
                "Runs the HTTP feed for scanners that push crops.",
                "",
                "POST /v1/crops (image body + X-Specimen-Id, X-Scan-Id, X-Cell-Id, ... headers,",
                "or multipart/form-data), POST /v1/scans/started|finished, GET /healthz,",
                "GET /metrics. With --live-port, the lab's live page on a port of its own.",
                "Requests carry `Authorization: Bearer <token>`. 202 once Kafka has the crop;",
                "429 with Retry-After when the producer buffer is full; 413 over the limits."
            })
    static final class Serve implements Callable<Integer> {
        @Option(names = "--port", required = true, description = "TCP port to listen on.")
        int port;

        @Option(
                names = "--bind",
                defaultValue = "127.0.0.1",
                description = "Interface to bind; 0.0.0.0 for all (default: ${DEFAULT-VALUE}).")
        String bind;

        @Mixin Kafka kafka;

        @Option(
                names = "--token-file",
                paramLabel = "FILE",
                description =
                        "File whose first line is the bearer token (default: the"
                                + " BLOOMSTREAM_INGEST_TOKEN environment variable).")
        Path tokenFile;

        @Option(
                names = "--no-auth",
                description = "Accept requests without a token; only for trials on loopback.")
        boolean noAuth;

        @Option(
                names = "--max-crop-bytes",
                defaultValue = "8388608",
                description = "Largest image in a request (default: ${DEFAULT-VALUE}).")
        int maxCropBytes;

        @Option(
                names = "--max-request-bytes",
                defaultValue = "16777216",
                description = "Largest request body (default: ${DEFAULT-VALUE}).")
        long maxRequestBytes;

        @Option(
                names = "--max-in-flight-bytes",
                defaultValue = "67108864",
                description =
                        "Bytes handed to the producer and not yet acknowledged before requests"
                                + " get 429 (default: ${DEFAULT-VALUE}).")
        long maxInFlight;

        @Option(
                names = "--threads",
                defaultValue = "32",
                description = "Request threads (default: ${DEFAULT-VALUE}).")
        int threads;

        @Option(
                names = "--scanner-id",
                defaultValue = "http",
                description = "Scanner id for requests that name none (default: ${DEFAULT-VALUE}).")
        String scannerId;

        @Mixin OptionalGate gate;

        @Mixin LiveOptions live;

        @Override
        public Integer call() throws Exception {
            String token = null;
            if (tokenFile != null) {
                token =
                        Files.readAllLines(tokenFile, StandardCharsets.UTF_8).stream()
                                .findFirst()
                                .map(String::trim)
                                .orElse("");
            } else if (System.getenv("BLOOMSTREAM_INGEST_TOKEN") != null) {
                token = System.getenv("BLOOMSTREAM_INGEST_TOKEN").trim();
            }
            if ((token == null || token.isEmpty()) && !noAuth) {
                System.err.println(
                        "no bearer token: give --token-file or set BLOOMSTREAM_INGEST_TOKEN"
                                + " (or --no-auth for a trial on loopback)");
                return 2;
            }
            PrintStream out = System.out;
            long t0 = System.nanoTime();
            // the shutdown hook waits for `running` to close, which comes last of all
            Running running = new Running();
            KafkaStreams streams = null;
            LiveServer liveServer = null;
            try (IngestMetrics metrics = IngestMetrics.create();
                    CropSender sender =
                            CropSender.connect(
                                    kafka.bootstrapServers,
                                    maxInFlight,
                                    kafka.security.security());
                    CropHttpServer server =
                            CropHttpServer.start(
                                    new CropHttpServer.Options(
                                            bind,
                                            port,
                                            noAuth ? null : token,
                                            maxCropBytes,
                                            maxRequestBytes,
                                            scannerId,
                                            threads),
                                    sender,
                                    metrics)) {
                streams = gate.startIfWanted(kafka, out, metrics);
                out.printf(
                        "listening on http://%s:%d/v1/crops (%s)%n",
                        bind, server.port(), noAuth ? "NO AUTH" : "bearer token");
                out.printf("metrics (Prometheus): http://%s:%d/metrics%n", bind, server.port());
                liveServer = live.startIfWanted(kafka, out);
                long last = -1;
                long lastThrottled = 0;
                while (running.get()) {
                    long acked = server.cropsAcknowledged();
                    if (acked != last || server.throttled() != lastThrottled) {
                        out.printf(
                                Locale.ROOT,
                                "%s crops acknowledged %d | 429s %d | refused %d | in flight %.1f MB%n",
                                elapsed(t0),
                                acked,
                                server.throttled(),
                                server.refused(),
                                sender.inFlightBytes() / 1e6);
                        last = acked;
                        lastThrottled = server.throttled();
                    }
                    sleep(Duration.ofSeconds(5), running);
                }
            } finally {
                if (liveServer != null) {
                    liveServer.close();
                }
                if (streams != null) {
                    streams.close(Duration.ofSeconds(10));
                }
                running.close();
            }
            return 0;
        }
    }

    // ------------------------------------------------------------------ replay

    @Command(
            name = "replay",
            mixinStandardHelpOptions = true,
            description = {
                "Replays a folder or data set at a given rate, for load tests.",
                "",
                "DIR is a folder with labels.csv (path,label[,group]; one specimen per group) or",
                "a folder tree in which every folder holding crops is one specimen (the AML",
                "layout <label>/<patient>/image_<n>.tif included). Each pass is tagged into the",
                "ids so that repeated runs are not deduped by the gate. Run the gate separately."
            })
    static final class Replay implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "DIR", description = "The folder or data set.")
        Path dir;

        @Option(
                names = "--rate",
                required = true,
                description = "Crops per second; 0 for as fast as the producer takes them.")
        double rate;

        @Mixin Kafka kafka;

        @Option(
                names = "--repeat",
                defaultValue = "1",
                description =
                        "Passes over the data, each as new specimens (default: ${DEFAULT-VALUE}).")
        int repeat;

        @Option(
                names = "--run-tag",
                description =
                        "Tag appended to specimen, scan and cell ids as ~TAG; '' keeps the ids"
                                + " as they are (default: a tag made from the time).")
        String runTag;

        @Override
        public Integer call() throws Exception {
            String tag =
                    runTag != null
                            ? runTag
                            : "r" + Long.toString(System.currentTimeMillis() / 1000, 36);
            FolderReplay replay = FolderReplay.open(dir, repeat, tag);
            PrintStream out = System.out;
            out.printf(
                    Locale.ROOT,
                    "replaying %d crops of %d specimens from %s (%s), tag '%s', at %s%n",
                    replay.crops(),
                    replay.specimens(),
                    dir,
                    replay.description(),
                    tag,
                    rate > 0 ? rate + " crops/s" : "full speed");
            AtomicLong sent = new AtomicLong();
            long t0 = System.nanoTime();
            AtomicBoolean done = new AtomicBoolean();
            Thread progress =
                    new Thread(
                            () -> {
                                while (!done.get()) {
                                    try {
                                        Thread.sleep(2000);
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                    if (!done.get()) {
                                        report(out, t0, sent.get(), replay.crops());
                                    }
                                }
                            },
                            "replay-progress");
            progress.setDaemon(true);
            progress.start();
            FeedProducer.Sent result;
            try (FeedProducer producer =
                    new FeedProducer(kafka.bootstrapServers, kafka.security.security())) {
                result = producer.send(replay, rate, FeedProducer.Pace.CROPS, sent::set);
            } finally {
                done.set(true);
                progress.interrupt();
            }
            report(out, t0, result.cropsIn(), replay.crops());
            out.printf(
                    "done: %d crops and %d scan events acknowledged%n",
                    result.cropsIn(), result.scanEvents());
            return 0;
        }

        private static void report(PrintStream out, long t0, long sent, long total) {
            double s = (System.nanoTime() - t0) / 1e9;
            out.printf(
                    Locale.ROOT,
                    "%s sent %d/%d crops (%.1f crops/s)%n",
                    elapsed(t0),
                    sent,
                    total,
                    sent / Math.max(s, 1e-9));
        }
    }

    // ------------------------------------------------------------------ bench

    @Command(
            name = "bench",
            mixinStandardHelpOptions = true,
            description = {
                "Measures producer and producer+gate throughput on loopback, in crops/s and MB/s.",
                "",
                "Starts an embedded KRaft broker and the gate (exactly_once_v2) in this JVM and",
                "sends synthetic-cell JPEGs of each size; 'prod+gate' counts until the last crop",
                "is committed on cells.accepted. Everything shares this machine's cores."
            })
    static final class Bench implements Callable<Integer> {
        @Option(
                names = "--sizes-kb",
                split = ",",
                defaultValue = "20,200",
                description = "Crop sizes in KB (default: ${DEFAULT-VALUE}).")
        List<Integer> sizes;

        @Option(
                names = "--megabytes",
                defaultValue = "400",
                description = "Image data to send per size, in MB (default: ${DEFAULT-VALUE}).")
        int megabytes;

        @Option(
                names = "--partitions",
                defaultValue = "4",
                description = "Partitions per topic (default: ${DEFAULT-VALUE}).")
        int partitions;

        @Option(
                names = "--work-dir",
                paramLabel = "DIR",
                description =
                        "Where the broker and gate keep their files; deleted at the end"
                                + " (default: a new temporary directory).")
        Path workDir;

        @Override
        public Integer call() throws Exception {
            Path dir = workDir != null ? workDir : Files.createTempDirectory("bloomstream-bench-");
            try {
                new IngestBench(
                                new IngestBench.Options(
                                        new ArrayList<>(sizes), megabytes, partitions, dir),
                                System.out)
                        .run();
            } finally {
                try (Stream<Path> s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
            return 0;
        }
    }
}
