package org.bloomstream.schemas.kafka;

import java.util.Properties;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka client settings for image payloads (10-300 KB), shared by every producer and consumer the
 * project creates outside Flink. The overloads with a {@link KafkaSecurity} add TLS and SASL.
 */
public final class ClientSettings {
    /** Largest record the project produces; the embedded broker allows it too. */
    public static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;

    private ClientSettings() {}

    /**
     * Idempotent, acks=all, lz4; 1 MB batches and a short linger so a burst of crops fills a batch
     * without making a lone crop wait. With 256 KB batches a 200 KB crop travelled alone; 1 MB
     * (several crops per request) measured about 20% more crops/s from the producer for both 20 KB
     * and 200 KB crops on the ingest benchmark. lz4 gains little on JPEG and PNG but costs little;
     * uncompressed BMP and TIFF crops do shrink.
     */
    public static Properties producer(String bootstrapServers) {
        return producer(bootstrapServers, KafkaSecurity.NONE);
    }

    /** {@link #producer(String)} with encryption and authentication. */
    public static Properties producer(String bootstrapServers, KafkaSecurity security) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 1024 * 1024);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_RECORD_BYTES);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return security.applyTo(p);
    }

    /** A read_committed consumer: it sees only what transactional writers committed. */
    public static Properties consumer(String bootstrapServers, String groupId) {
        return consumer(bootstrapServers, groupId, KafkaSecurity.NONE);
    }

    /** {@link #consumer(String, String)} with encryption and authentication. */
    public static Properties consumer(
            String bootstrapServers, String groupId, KafkaSecurity security) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, MAX_RECORD_BYTES);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class.getName());
        return security.applyTo(p);
    }

    /** An admin client's settings. */
    public static Properties admin(String bootstrapServers, KafkaSecurity security) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return security.applyTo(p);
    }
}
