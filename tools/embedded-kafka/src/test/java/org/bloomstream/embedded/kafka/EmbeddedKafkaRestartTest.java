package org.bloomstream.embedded.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker restart the fault-injection suite relies on: same port, same data, transactions and an
 * idempotent producer that lives through it.
 */
class EmbeddedKafkaRestartTest {

    @Test
    void brokerComesBackOnTheSamePortWithItsDataAndTransactions(@TempDir Path dir)
            throws Exception {
        // A short broker session, or the controller refuses the new incarnation's registration
        // (DUPLICATE_BROKER_REGISTRATION) until the old session's 9 s default runs out.
        try (EmbeddedKafka kafka =
                EmbeddedKafka.start(
                        dir,
                        Map.of(
                                "broker.session.timeout.ms", "2000",
                                "broker.heartbeat.interval.ms", "500"))) {
            kafka.createTopics(2);
            String bootstrap = kafka.bootstrapServers();
            String topic = Topics.CELLS_ACCEPTED.name();
            Properties tx = ClientSettings.producer(bootstrap);
            tx.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "restart-test");
            tx.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000);
            try (KafkaProducer<byte[], byte[]> plain =
                    new KafkaProducer<>(ClientSettings.producer(bootstrap))) {
                try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(tx)) {
                    p.initTransactions();
                    p.beginTransaction();
                    for (int i = 0; i < 10; i++) {
                        p.send(record(topic, "before-" + i));
                    }
                    p.commitTransaction();
                    // an aborted one must stay invisible after the restart too
                    p.beginTransaction();
                    p.send(record(topic, "aborted"));
                    p.flush();
                    p.abortTransaction();
                }
                plain.send(record(topic, "plain-before")).get();

                // No timing asserted: startBroker's own bound is the only limit (a loaded build
                // machine must not fail this test; speed is not what it checks).
                kafka.stopBroker();
                kafka.startBroker(Duration.ofSeconds(60));
                assertThat(kafka.bootstrapServers()).isEqualTo(bootstrap);

                // The producer that was open across the restart reconnects by itself.
                plain.send(record(topic, "plain-after")).get();
                try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(tx)) {
                    p.initTransactions();
                    p.beginTransaction();
                    for (int i = 0; i < 10; i++) {
                        p.send(record(topic, "after-" + i));
                    }
                    p.commitTransaction();
                }
            }

            List<String> seen = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> c =
                    new KafkaConsumer<>(ClientSettings.consumer(bootstrap, "restart-reader"))) {
                c.subscribe(List.of(topic));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (seen.size() < 22 && System.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                        seen.add(new String(r.value(), StandardCharsets.UTF_8));
                    }
                }
            }
            assertThat(seen)
                    .hasSize(22)
                    .doesNotHaveDuplicates()
                    .doesNotContain("aborted")
                    .contains("before-0", "before-9", "after-0", "after-9", "plain-after");
        }
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String value) {
        return new ProducerRecord<>(
                topic,
                value.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8));
    }
}
