package org.bloomstream.ingest.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.bloomstream.ingest.feed.CropSender;
import org.bloomstream.ingest.feed.KafkaReadiness;
import org.bloomstream.ingest.http.CropHttpServer;
import org.bloomstream.ingest.metrics.IngestMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ingest serve}: the HTTP feed for scanners that push crops. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the HTTP feed for scanners that push crops.",
            "",
            "POST /v1/crops (image body + X-Specimen-Id, X-Scan-Id, X-Cell-Id, ... headers,"
                    + " or multipart/form-data), POST /v1/scans/started|finished, GET /healthz,"
                    + " GET /readyz, GET /metrics. With --live-port, the lab's live page on a port"
                    + " of its own. Requests carry `Authorization: Bearer <token>`. 202 once Kafka"
                    + " has the crop; 429 with Retry-After when the producer buffer is full; 413"
                    + " over the limits; 400 with the reason for ids that break the rules."
        })
public final class ServeCommand implements Callable<Integer> {
    @Option(names = "--port", required = true, description = "TCP port to listen on.")
    int port;

    @Option(
            names = "--bind",
            defaultValue = "127.0.0.1",
            description = "Interface to bind; 0.0.0.0 for all (default: ${DEFAULT-VALUE}).")
    String bind;

    @Mixin KafkaOptions kafka;

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

    @Option(
            names = "--min-request-data-rate",
            defaultValue = "1024",
            description =
                    "Bytes per second a request body must arrive at, at least; slower clients"
                            + " get 408 (default: ${DEFAULT-VALUE}).")
    long minRequestDataRate;

    @Option(
            names = "--read-deadline",
            defaultValue = "20s",
            converter = DurationConverter.class,
            description =
                    "Longest time a request body may take to arrive (default: ${DEFAULT-VALUE}).")
    Duration readDeadline;

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
        try (ServiceScope scope = new ServiceScope()) {
            IngestMetrics metrics = scope.add(IngestMetrics.create());
            CropSender sender =
                    scope.add(
                            CropSender.connect(
                                    kafka.bootstrapServers(), maxInFlight, kafka.security()));
            KafkaReadiness readiness =
                    scope.add(KafkaReadiness.connect(kafka.bootstrapServers(), kafka.security()));
            CropHttpServer server =
                    scope.add(
                            CropHttpServer.start(
                                    new CropHttpServer.Options(
                                            bind,
                                            port,
                                            noAuth ? null : token,
                                            maxCropBytes,
                                            maxRequestBytes,
                                            scannerId,
                                            threads,
                                            gate.idRules(),
                                            minRequestDataRate,
                                            readDeadline),
                                    sender,
                                    metrics,
                                    readiness));
            scope.add(gate.startIfWanted(kafka, out, metrics));
            out.printf(
                    "listening on http://%s:%d/v1/crops (%s)%n",
                    bind, server.port(), noAuth ? "NO AUTH" : "bearer token");
            out.printf("metrics (Prometheus): http://%s:%d/metrics%n", bind, server.port());
            scope.add(live.startIfWanted(kafka, out));
            long last = -1;
            long lastThrottled = 0;
            while (scope.running()) {
                long acked = server.cropsAcknowledged();
                if (acked != last || server.throttled() != lastThrottled) {
                    out.printf(
                            Locale.ROOT,
                            "%s crops acknowledged %d | 429s %d | refused %d | in flight %.1f MB%n",
                            scope.elapsed(),
                            acked,
                            server.throttled(),
                            server.refused(),
                            sender.inFlightBytes() / 1e6);
                    last = acked;
                    lastThrottled = server.throttled();
                }
                scope.sleep(Duration.ofSeconds(5));
            }
        }
        return 0;
    }
}
