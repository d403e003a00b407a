package org.bloomstream.ingest;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.bloomstream.embedded.kafka.EmbeddedKafka;
import org.bloomstream.ingest.gate.GateConfig;
import org.bloomstream.ingest.gate.IngestGate;
import org.bloomstream.schemas.kafka.ClientSettings;

/** A real KRaft broker with every registry topic, optionally the gate, and read-back helpers. */
public final class RealBroker implements AutoCloseable {
    private final EmbeddedKafka kafka;
    private final KafkaStreams gate;

    private RealBroker(EmbeddedKafka kafka, KafkaStreams gate) {
        this.kafka = kafka;
        this.gate = gate;
    }

    public static RealBroker start(Path dir, int partitions, GateConfig gateConfig)
            throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"));
        try {
            kafka.createTopics(partitions);
            KafkaStreams gate = null;
            if (gateConfig != null) {
                gate =
                        IngestGate.start(
                                gateConfig,
                                IngestGate.streamsConfig(
                                        kafka.bootstrapServers(),
                                        "gate-test-" + UUID.randomUUID(),
                                        dir.resolve("gate")),
                                Duration.ofSeconds(60));
            }
            return new RealBroker(kafka, gate);
        } catch (Exception e) {
            kafka.close();
            throw e;
        }
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public KafkaStreams gate() {
        return gate;
    }

    /** Records written to a topic so far (its end offsets; exact for non-transactional writers). */
    public long endOffsets(String topic) {
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(ClientSettings.consumer(bootstrapServers(), "probe"))) {
            List<TopicPartition> parts =
                    c.partitionsFor(topic).stream()
                            .map(p -> new TopicPartition(topic, p.partition()))
                            .toList();
            return c.endOffsets(parts).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /**
     * Reads the topics from the beginning with read_committed until {@code done} holds for what was
     * read, or fails after the timeout.
     */
    public List<ConsumerRecord<byte[], byte[]>> readUntil(
            List<String> topics,
            Predicate<List<ConsumerRecord<byte[], byte[]>>> done,
            Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(
                        ClientSettings.consumer(bootstrapServers(), "read-" + UUID.randomUUID()))) {
            c.subscribe(topics);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(all)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(
                            "timed out after " + timeout + " with " + all.size() + " records");
                }
                c.poll(Duration.ofMillis(200)).forEach(all::add);
            }
        }
        return all;
    }

    /** Counts by topic. */
    public static Map<String, Long> byTopic(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, Long> m = new java.util.TreeMap<>();
        records.forEach(r -> m.merge(r.topic(), 1L, Long::sum));
        return m;
    }

    @Override
    public void close() throws Exception {
        try {
            if (gate != null) {
                gate.close(Duration.ofSeconds(10));
            }
        } finally {
            kafka.close();
        }
    }
}
