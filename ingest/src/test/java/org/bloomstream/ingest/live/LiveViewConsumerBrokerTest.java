package org.bloomstream.ingest.live;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.bloomstream.ingest.RealBroker;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.LabelProbability;
import org.bloomstream.schemas.avro.SpecimenPhase;
import org.bloomstream.schemas.avro.SpecimenStatus;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link LiveViewConsumer} on a real broker, the way the ingest service runs it (with a lookback):
 * records older than the lookback and records of an aborted transaction never reach the view;
 * committed ones do, both those already there when it starts and those written after.
 */
class LiveViewConsumerBrokerTest {
    @Test
    void readsCommittedRecordsWithinTheLookbackOnly(@TempDir Path dir) throws Exception {
        try (RealBroker broker = RealBroker.start(dir, 1, null);
                KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(transactional(broker.bootstrapServers()))) {
            producer.initTransactions();
            long twoHoursAgo = Instant.now().minus(Duration.ofHours(2)).toEpochMilli();
            send(producer, status("S-OLD"), twoHoursAgo);
            producer.beginTransaction();
            send(producer, status("S-ABORTED"), null);
            producer.flush();
            producer.abortTransaction();
            send(producer, status("S-NEW"), null);

            LiveView view = new LiveView();
            try (LiveViewConsumer consumer =
                    LiveViewConsumer.start(
                            view, broker.bootstrapServers(), Duration.ofMinutes(30))) {
                awaitShown(view, "S-NEW");
                send(producer, status("S-LATER"), null);
                Set<String> shown = awaitShown(view, "S-LATER");
                assertThat(shown).containsExactlyInAnyOrder("S-NEW", "S-LATER");
                assertThat(consumer.assigned()).isTrue();
                assertThat(consumer.error()).isNull();
            }
        }
    }

    private static Properties transactional(String bootstrap) {
        Properties p = ClientSettings.producer(bootstrap);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "live-view-test");
        return p;
    }

    /** Writes one status; a committed transaction of its own unless one is open. */
    private static void send(KafkaProducer<byte[], byte[]> producer, SpecimenStatus s, Long time) {
        boolean own = !s.getSpecimenId().equals("S-ABORTED");
        if (own) {
            producer.beginTransaction();
        }
        producer.send(
                new ProducerRecord<>(
                        Topics.SPECIMEN_STATUS.name(),
                        null,
                        time,
                        Topics.SPECIMEN_STATUS.serializeKey(s.getSpecimenId()),
                        Topics.SPECIMEN_STATUS.serializeValue(s)));
        if (own) {
            producer.commitTransaction();
        }
    }

    private static Set<String> awaitShown(LiveView view, String id) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            Set<String> ids = new HashSet<>();
            for (JsonNode s : view.snapshot().get("specimens")) {
                ids.add(s.get("id").asText());
            }
            if (ids.contains(id)) {
                return ids;
            }
            assertThat(System.nanoTime())
                    .as("%s shown within 60 s; shown: %s", id, ids)
                    .isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static SpecimenStatus status(String id) {
        return SpecimenStatus.newBuilder()
                .setSpecimenId(id)
                .setScanId(id + "-scan")
                .setSequence(1)
                .setPhase(SpecimenPhase.SCANNING)
                .setCellCount(1)
                .setMinCells(50)
                .setCall("control")
                .setProbabilities(List.of(new LabelProbability("control", 1f)))
                .setDifferential(List.of())
                .setTopAttended(List.of())
                .setAlertsRaised(List.of())
                .setMilModelId("mil")
                .setStatusTime(Instant.now())
                .build();
    }
}
