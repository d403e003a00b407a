package org.bloomstream.ingest.gate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.bloomstream.ingest.metrics.IngestMetrics;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.DeadLetter;

/**
 * The ingest gate topology in a {@link TopologyTestDriver}: raw bytes in on {@code cells.raw},
 * typed records out of {@code cells.accepted} and {@code cells.dead} (read with the registry's
 * serdes, as every consumer does).
 */
public final class GateHarness implements AutoCloseable {
    private final TopologyTestDriver driver;
    private final TestInputTopic<byte[], byte[]> raw;
    private final TestOutputTopic<String, CellCrop> accepted;
    private final TestOutputTopic<String, DeadLetter> dead;
    private final Path stateDir;
    private long nextOffset;

    /** Record timestamps start here unless a test gives its own. */
    public static final Instant START = Instant.parse("2026-02-03T10:00:00Z");

    /**
     * The gate with its dedupe store in memory (see {@link IngestGate#topology(GateConfig,
     * boolean)}).
     */
    public GateHarness(GateConfig config) {
        this(config, true);
    }

    public GateHarness(GateConfig config, boolean inMemoryDedupe) {
        this(config, inMemoryDedupe, null);
    }

    /** The gate counting its decisions into {@code metrics}. */
    public GateHarness(GateConfig config, boolean inMemoryDedupe, IngestMetrics metrics) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "ingest-gate-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        // The dedupe store is RocksDB: give it a directory of its own, not the shared default
        // under /tmp that a concurrent build on the same machine would also use.
        try {
            stateDir = Files.createTempDirectory("gate-harness-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver =
                new TopologyTestDriver(
                        IngestGate.topology(config, inMemoryDedupe, metrics), props, START);
        raw =
                driver.createInputTopic(
                        Topics.CELLS_RAW.name(),
                        new ByteArraySerializer(),
                        new ByteArraySerializer());
        accepted =
                driver.createOutputTopic(
                        Topics.CELLS_ACCEPTED.name(),
                        Topics.CELLS_ACCEPTED.keySerde().deserializer(),
                        Topics.CELLS_ACCEPTED.valueSerde().deserializer());
        dead =
                driver.createOutputTopic(
                        Topics.CELLS_DEAD.name(),
                        Topics.CELLS_DEAD.keySerde().deserializer(),
                        Topics.CELLS_DEAD.valueSerde().deserializer());
    }

    /** Pipes one raw record; returns the offset it got on {@code cells.raw}. */
    public long send(byte[] key, byte[] value) {
        raw.pipeInput(key, value);
        return nextOffset++;
    }

    /** Pipes one raw record with the given record timestamp. */
    public long send(byte[] key, byte[] value, Instant timestamp) {
        raw.pipeInput(key, value, timestamp);
        return nextOffset++;
    }

    /** Drains {@code cells.accepted}. */
    public List<TestRecord<String, CellCrop>> accepted() {
        return accepted.readRecordsToList();
    }

    /** Drains {@code cells.dead}. */
    public List<TestRecord<String, DeadLetter>> dead() {
        return dead.readRecordsToList();
    }

    @Override
    public void close() {
        driver.close();
        try (Stream<Path> paths = Files.walk(stateDir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temp directory is not worth failing a test for
        }
    }
}
