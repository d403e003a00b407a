package org.bloomstream.ingest.gate;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.bloomstream.ingest.metrics.IngestMetrics;
import org.bloomstream.schemas.DeadLetters;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.kafka.KafkaSecurity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ingest gate: a Kafka Streams topology from {@code cells.raw} to {@code cells.accepted} and
 * {@code cells.dead}. Every raw record ends in exactly one of the two, with exactly-once
 * processing, so a crop is never lost and never doubled between scanner and job.
 *
 * <p>Dedupe: a persistent window store ({@value #DEDUPE_STORE}, RocksDB with a changelog, so it
 * survives restarts and moves with its task) maps each cell, the pair (specimen id, cell id), to
 * the first decision for it, and forgets it after {@link GateConfig#dedupeWindow()} of stream time.
 * A cell id is unique within its specimen only: the same cell id under two specimens is two cells,
 * both accepted, on any partitions. Because the key includes the specimen id, and {@code cells.raw}
 * is partitioned by the specimen id, every copy of a cell meets the same store, so a duplicate is
 * caught on every partition alike. (Keyed by cell id alone, as before issue 20, the outcome
 * depended on partition hashing: a reused cell id was a duplicate when both specimens hashed to one
 * partition and passed otherwise.)
 *
 * <p>Upgrade: stores written before issue 20 hold bare cell ids as keys; the new keys never match
 * them, so for one dedupe window after the upgrade a resend of a crop first seen before it is not
 * caught (see docs/ingest-identity-and-security.md). The old entries expire with the window.
 */
public final class IngestGate {
    private static final Logger LOG = LoggerFactory.getLogger(IngestGate.class);

    private IngestGate() {}

    /**
     * The dedupe state store; its changelog topic is {@code
     * <application.id>-cell-dedupe-changelog}.
     */
    public static final String DEDUPE_STORE = "cell-dedupe";

    public static Topology topology(GateConfig config) {
        return topology(config, false);
    }

    /**
     * The topology, with the dedupe store in memory if asked: same semantics and changelog, no
     * RocksDB. Production uses RocksDB (a day of cell ids need not fit in the heap); the topology
     * tests use memory because opening RocksDB for each of their drivers costs more than the tests,
     * while the real-broker tests run RocksDB.
     */
    public static Topology topology(GateConfig config, boolean inMemoryDedupe) {
        return topology(config, inMemoryDedupe, null);
    }

    /**
     * The topology, counting every decision and its validation time into {@code metrics} (none when
     * null).
     */
    public static Topology topology(
            GateConfig config, boolean inMemoryDedupe, IngestMetrics metrics) {
        if (metrics != null) {
            metrics.registerGate();
        }
        StreamsBuilder builder = new StreamsBuilder();
        Duration window = config.dedupeWindow();
        builder.addStateStore(
                Stores.windowStoreBuilder(
                        inMemoryDedupe
                                ? Stores.inMemoryWindowStore(DEDUPE_STORE, window, window, false)
                                : Stores.persistentWindowStore(DEDUPE_STORE, window, window, false),
                        Serdes.String(),
                        Serdes.String()));
        KStream<byte[], CropValidator.Decision> decided =
                builder.stream(
                                Topics.CELLS_RAW.name(),
                                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                                        .withName("raw-crops"))
                        .processValues(
                                () -> new Validate(config, metrics),
                                Named.as("validate"),
                                DEDUPE_STORE);
        decided.filter((k, d) -> d.accepted() != null, Named.as("accepted"))
                .map(
                        (k, d) -> KeyValue.pair(d.accepted().getSpecimenId(), d.accepted()),
                        Named.as("key-by-specimen"))
                .to(
                        Topics.CELLS_ACCEPTED.name(),
                        Produced.with(
                                        Topics.CELLS_ACCEPTED.keySerde(),
                                        Topics.CELLS_ACCEPTED.valueSerde())
                                .withName("to-accepted"));
        decided.filter((k, d) -> d.dead() != null, Named.as("rejected"))
                .map(
                        (k, d) -> KeyValue.pair(DeadLetters.keyOf(d.dead()), d.dead()),
                        Named.as("key-dead"))
                .to(
                        Topics.CELLS_DEAD.name(),
                        Produced.with(Topics.CELLS_DEAD.keySerde(), Topics.CELLS_DEAD.valueSerde())
                                .withName("to-dead"));
        return builder.build();
    }

    /** Streams settings for the gate: exactly-once v2, a short commit interval. */
    public static Properties streamsConfig(String bootstrapServers, String appId, Path stateDir) {
        return streamsConfig(bootstrapServers, appId, stateDir, KafkaSecurity.NONE);
    }

    /**
     * {@link #streamsConfig(String, String, Path)} with TLS/SASL for every client Streams creates
     * (its consumers, producers and admin client take the unprefixed settings).
     */
    public static Properties streamsConfig(
            String bootstrapServers, String appId, Path stateDir, KafkaSecurity security) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        p.put(StreamsConfig.producerPrefix("compression.type"), "lz4");
        // image records are 10-300 KB: the default 16 KB batch would hold none of them
        p.put(StreamsConfig.producerPrefix("batch.size"), 1024 * 1024);
        p.put(StreamsConfig.producerPrefix("max.request.size"), 16 * 1024 * 1024);
        p.put(StreamsConfig.consumerPrefix("max.partition.fetch.bytes"), 16 * 1024 * 1024);
        return security.applyTo(p);
    }

    /**
     * Starts the gate and waits until it is running. A stream thread that dies of an unexpected
     * error is replaced rather than taking the gate down (bad input never gets that far: every
     * record becomes a decision).
     */
    public static KafkaStreams start(GateConfig config, Properties streamsConfig, Duration timeout)
            throws InterruptedException, TimeoutException {
        return start(config, streamsConfig, timeout, null, e -> {});
    }

    /**
     * As {@link #start(GateConfig, Properties, Duration)}, counting decisions into {@code metrics}
     * and binding the Kafka Streams client metrics to it (none when null).
     */
    public static KafkaStreams start(
            GateConfig config, Properties streamsConfig, Duration timeout, IngestMetrics metrics)
            throws InterruptedException, TimeoutException {
        return start(config, streamsConfig, timeout, metrics, e -> {});
    }

    /**
     * As {@link #start(GateConfig, Properties, Duration, IngestMetrics)}, telling {@code
     * onThreadDeath} of every stream thread that died (the fuzz run counts them as crashes: a
     * replaced thread would otherwise hide one).
     */
    public static KafkaStreams start(
            GateConfig config,
            Properties streamsConfig,
            Duration timeout,
            IngestMetrics metrics,
            Consumer<Throwable> onThreadDeath)
            throws InterruptedException, TimeoutException {
        KafkaStreams streams = new KafkaStreams(topology(config, false, metrics), streamsConfig);
        if (metrics != null) {
            metrics.bindGate(streams);
        }
        CountDownLatch running = new CountDownLatch(1);
        streams.setStateListener(
                (now, before) -> {
                    if (now == KafkaStreams.State.RUNNING) {
                        running.countDown();
                    }
                });
        streams.setUncaughtExceptionHandler(
                e -> {
                    // Exception types only: a message may quote a record, and so a patient's id.
                    LOG.error("a gate stream thread died ({}); replacing it", causeChain(e));
                    onThreadDeath.accept(e);
                    return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                            .REPLACE_THREAD;
                });
        streams.start();
        if (!running.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            streams.close(Duration.ofSeconds(10));
            throw new TimeoutException("the ingest gate did not reach RUNNING in " + timeout);
        }
        return streams;
    }

    /** The class names of an exception and its causes, without their messages. */
    static String causeChain(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null && b.length() < 1000; t = t.getCause()) {
            if (b.length() > 0) {
                b.append(" <- ");
            }
            b.append(t.getClass().getName());
            if (t.getCause() == t) {
                break;
            }
        }
        return b.toString();
    }

    /** Runs the validator with the record's source coordinates and the dedupe store. */
    private static final class Validate
            implements FixedKeyProcessor<byte[], byte[], CropValidator.Decision> {
        private final CropValidator validator;
        private final long windowMillis;
        private final IngestMetrics metrics;
        private FixedKeyProcessorContext<byte[], CropValidator.Decision> context;
        private SeenCells seen;

        Validate(GateConfig config, IngestMetrics metrics) {
            this.metrics = metrics;
            this.validator = new CropValidator(config);
            this.windowMillis = config.dedupeWindow().toMillis();
        }

        @Override
        public void init(FixedKeyProcessorContext<byte[], CropValidator.Decision> context) {
            this.context = context;
            WindowStore<String, String> store = context.getStateStore(DEDUPE_STORE);
            this.seen =
                    new SeenCells() {
                        @Override
                        public Seen lookup(String specimenId, String cellId, long timestamp) {
                            // both directions: a resend may carry an older timestamp
                            try (WindowStoreIterator<String> it =
                                    store.fetch(
                                            SeenCells.key(specimenId, cellId),
                                            timestamp - windowMillis,
                                            timestamp + windowMillis)) {
                                return it.hasNext() ? Seen.decode(it.next().value) : null;
                            }
                        }

                        @Override
                        public void remember(
                                String specimenId, String cellId, long timestamp, Seen s) {
                            store.put(SeenCells.key(specimenId, cellId), s.encode(), timestamp);
                        }
                    };
        }

        @Override
        public void process(FixedKeyRecord<byte[], byte[]> record) {
            RecordMetadata md = context.recordMetadata().orElse(null);
            SourceRecord src =
                    new SourceRecord(
                            md == null ? Topics.CELLS_RAW.name() : md.topic(),
                            md == null ? -1 : md.partition(),
                            md == null ? -1 : md.offset(),
                            record.timestamp(),
                            record.key(),
                            record.value());
            long t0 = System.nanoTime();
            CropValidator.Decision d = validator.validate(src, seen);
            if (metrics != null) {
                metrics.gateDecision(
                        d.dead() == null ? null : d.dead().getReason(), System.nanoTime() - t0);
            }
            context.forward(record.withValue(d));
        }
    }
}
