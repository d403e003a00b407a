package org.bloomstream.job;

import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.Topic;
import org.bloomstream.schemas.kafka.ClientSettings;

/**
 * Builds the job's Kafka sources and sinks from the topic registry and the job config, with the
 * config's TLS/SASL settings on every one of them.
 */
public final class KafkaEndpoints {
    private final JobConfig config;

    public KafkaEndpoints(JobConfig config) {
        this.config = config;
    }

    /** A source of unparsed records; starts at committed offsets, else at the beginning. */
    public KafkaSource<SourceRecord> source(Topic<String, ?> topic) {
        return KafkaSource.<SourceRecord>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setTopics(topic.name())
                .setGroupId(config.groupId())
                .setStartingOffsets(
                        OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new SourceRecordDeserializer())
                // Only what upstream transactions committed (the gate writes exactly-once).
                .setProperty("isolation.level", "read_committed")
                .setProperty(
                        "max.partition.fetch.bytes",
                        String.valueOf(ClientSettings.MAX_RECORD_BYTES))
                .setProperty("partition.discovery.interval.ms", "10000")
                .setProperties(security())
                .build();
    }

    public <V> KafkaSink<V> sink(Topic<String, V> topic, SerializableFunction<V, String> key) {
        return sink(topic, key, v -> v);
    }

    /** A sink whose elements carry the topic value in a field ({@code value}). */
    public <E, V> KafkaSink<E> sink(
            Topic<String, V> topic,
            SerializableFunction<E, String> key,
            SerializableFunction<E, V> value) {
        return KafkaSink.<E>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setRecordSerializer(new TopicSerializer<>(topic, key, value))
                .setDeliveryGuarantee(config.guarantee())
                .setTransactionalIdPrefix(config.transactionalIdPrefix() + "-" + topic.name())
                .setKafkaProducerConfig(producerConfig())
                .build();
    }

    /** The settings of every sink's producer, besides those the sink sets itself. */
    Properties producerConfig() {
        Properties producer = new Properties();
        // Must stay below the broker's transaction.max.timeout.ms, or the job loops on
        // InitProducerId errors; and above a checkpoint plus a restart, or the broker aborts a
        // transaction that a checkpoint still has to commit (see JobConfig#transactionTimeout).
        producer.setProperty(
                "transaction.timeout.ms", String.valueOf(config.transactionTimeout().toMillis()));
        producer.setProperty("compression.type", "lz4");
        producer.setProperty("max.request.size", String.valueOf(ClientSettings.MAX_RECORD_BYTES));
        producer.putAll(lingerFor(config.guarantee()));
        producer.putAll(security());
        return producer;
    }

    /**
     * Batching of the sinks' producers. Exactly-once: a record is invisible to read_committed
     * readers until the checkpoint after it commits, and the sink flushes its producer at that
     * checkpoint whatever the linger. So a long linger delays nothing a reader can see. It only
     * fills batches: with the client's default (5 ms) the classified sink's producer thread cost
     * 0.10-0.12 ms of CPU per crop, with 100 ms 0.02-0.05 ms, and the broker's CPU per crop fell
     * too (BENCHMARKS.md, "CPU per crop"). Other guarantees: records are visible when sent, so the
     * client's default stays.
     */
    static Properties lingerFor(DeliveryGuarantee guarantee) {
        Properties p = new Properties();
        if (guarantee == DeliveryGuarantee.EXACTLY_ONCE) {
            p.setProperty("linger.ms", String.valueOf(EXACTLY_ONCE_LINGER_MS));
            p.setProperty("batch.size", String.valueOf(EXACTLY_ONCE_BATCH_BYTES));
        }
        return p;
    }

    /**
     * Longer than the time between two records of a busy sink, shorter than a checkpoint interval
     * (the flush at a checkpoint sends what is left, so this is not a bound on anything a reader
     * sees).
     */
    static final int EXACTLY_ONCE_LINGER_MS = 100;

    /** A batch holds a few hundred classified cells; the client's default is 16 KB. */
    static final int EXACTLY_ONCE_BATCH_BYTES = 256 * 1024;

    private Properties security() {
        return config.kafkaSecurity().applyTo(new Properties());
    }

    public DeliveryGuarantee guarantee() {
        return config.guarantee();
    }
}
