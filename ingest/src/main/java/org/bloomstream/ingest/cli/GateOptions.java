package org.bloomstream.ingest.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.kafka.streams.KafkaStreams;
import org.bloomstream.ingest.gate.GateConfig;
import org.bloomstream.ingest.gate.IngestGate;
import org.bloomstream.ingest.metrics.IngestMetrics;
import org.bloomstream.schemas.ids.IdRules;
import picocli.CommandLine.Option;

/** How the gate runs and what it accepts. */
public final class GateOptions {
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
            description = "Smallest crop width or height in pixels (default: ${DEFAULT-VALUE}).")
    int minEdge;

    @Option(
            names = "--max-id-length",
            defaultValue = "256",
            description =
                    "Longest specimen, scan, scanner or cell id, in characters; the feeds refuse"
                            + " longer ones (400) and the gate dead-letters them as INVALID_ID"
                            + " (default: ${DEFAULT-VALUE}).")
    int maxIdLength;

    GateConfig config() {
        return new GateConfig(
                maxImageBytes, maxPixels, minEdge, dedupeWindow, new IdRules(maxIdLength));
    }

    public KafkaStreams start(KafkaOptions kafka, PrintStream out, IngestMetrics metrics)
            throws Exception {
        Path dir = stateDir != null ? stateDir : Path.of(".bloomstream", "gate-state");
        Files.createDirectories(dir);
        out.printf(
                "starting the ingest gate (%s, exactly_once_v2, dedupe window %s) ...%n",
                applicationId, dedupeWindow);
        KafkaStreams gate =
                IngestGate.start(
                        config(),
                        IngestGate.streamsConfig(
                                kafka.bootstrapServers(), applicationId, dir, kafka.security()),
                        Duration.ofMinutes(2),
                        metrics);
        out.println("ingest gate running");
        return gate;
    }
}
