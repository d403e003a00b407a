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
        Properties producer = new Properties();
        // Must stay below the broker's transaction.max.timeout.ms, or the job loops on
        // InitProducerId errors; and above a checkpoint plus a restart, or the broker aborts a
        // transaction that a checkpoint still has to commit (see JobConfig#transactionTimeout).
        producer.setProperty(
                "transaction.timeout.ms", String.valueOf(config.transactionTimeout().toMillis()));
        producer.setProperty("compression.type", "lz4");
        producer.setProperty("max.request.size", String.valueOf(ClientSettings.MAX_RECORD_BYTES));
        producer.putAll(security());
        return KafkaSink.<E>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setRecordSerializer(new TopicSerializer<>(topic, key, value))
                .setDeliveryGuarantee(config.guarantee())
                .setTransactionalIdPrefix(config.transactionalIdPrefix() + "-" + topic.name())
                .setKafkaProducerConfig(producer)
                .build();
    }

    private Properties security() {
        return config.kafkaSecurity().applyTo(new Properties());
    }

    public DeliveryGuarantee guarantee() {
        return config.guarantee();
    }
}
