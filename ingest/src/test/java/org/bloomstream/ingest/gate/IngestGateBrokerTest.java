package org.bloomstream.ingest.gate;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.streams.KafkaStreams;
import org.bloomstream.ingest.RealBroker;
import org.bloomstream.ingest.TestImages;
import org.bloomstream.ingest.feed.CropSender;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate as it runs: a real KRaft broker, Kafka Streams with exactly_once_v2 and the RocksDB
 * dedupe store, outputs read back with read_committed.
 */
class IngestGateBrokerTest {
    @TempDir static Path dir;
    static RealBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = RealBroker.start(dir, 2, GateConfig.DEFAULT);
    }

    @AfterAll
    static void stop() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    static byte[] crop(String cellId, String specimen, byte[] image) {
        return Topics.CELLS_RAW.serializeValue(
                CellCrop.newBuilder()
                        .setCellId(cellId)
                        .setSpecimenId(specimen)
                        .setScanId(specimen + "-scan")
                        .setScannerId("scanner-1")
                        .setCaptureTime(Instant.parse("2026-02-03T10:00:00Z"))
                        .setImage(ByteBuffer.wrap(image))
                        .setEncoding(ImageEncoding.UNKNOWN)
                        .setWidth(0)
                        .setHeight(0)
                        .build());
    }

    @Test
    void everyRecordEndsAcceptedOrDeadExactlyOnceWithItsReason() throws Exception {
        byte[] jpeg = TestImages.encode(TestImages.rgb(40, 30), "jpeg");
        byte[] png = TestImages.png(30, 30);
        Map<String, String> expected = new HashMap<>(); // cell id -> outcome
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            String specimen = "B-" + s;
            byte[] key = specimen.getBytes(UTF_8);
            for (int i = 0; i < 25; i++) {
                String id = specimen + "-c" + i;
                records.add(rec(key, crop(id, specimen, i % 2 == 0 ? jpeg : png)));
                expected.put(id, "ACCEPTED");
            }
            records.add(rec(key, crop(specimen + "-empty", specimen, new byte[0])));
            expected.put(specimen + "-empty", "EMPTY_IMAGE");
            records.add(rec(key, crop(specimen + "-trunc", specimen, Arrays.copyOf(jpeg, 200))));
            expected.put(specimen + "-trunc", "UNDECODABLE_IMAGE");
            records.add(
                    rec(
                            key,
                            crop(
                                    specimen + "-bomb",
                                    specimen,
                                    TestImages.pngClaiming(20000, 20000))));
            expected.put(specimen + "-bomb", "IMAGE_TOO_LARGE");
            records.add(rec(key, crop(specimen + "-zero", specimen, TestImages.pngClaiming(0, 0))));
            expected.put(specimen + "-zero", "BAD_DIMENSIONS");
            records.add(rec(key, "not avro".getBytes(UTF_8)));
            records.add(rec(key, crop("", specimen, jpeg)));
            // a resend of an accepted crop
            records.add(rec(key, crop(specimen + "-c3", specimen, png)));
        }
        long before = broker.endOffsets(Topics.CELLS_RAW.name());
        try (KafkaProducer<byte[], byte[]> p =
                new KafkaProducer<>(ClientSettings.producer(broker.bootstrapServers()))) {
            for (ProducerRecord<byte[], byte[]> r : records) {
                p.send(r);
            }
            p.flush();
        }
        assertThat(broker.endOffsets(Topics.CELLS_RAW.name()) - before).isEqualTo(records.size());

        List<ConsumerRecord<byte[], byte[]>> out =
                broker.readUntil(
                        List.of(Topics.CELLS_ACCEPTED.name(), Topics.CELLS_DEAD.name()),
                        all ->
                                all.stream().filter(r -> specimenOf(r).startsWith("B-")).count()
                                        >= records.size(),
                        Duration.ofSeconds(60));
        Map<String, Integer> accepted = new HashMap<>();
        Map<DeadLetterReason, Integer> deadByReason = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : out) {
            if (!specimenOf(r).startsWith("B-")) {
                continue;
            }
            if (r.topic().equals(Topics.CELLS_ACCEPTED.name())) {
                CellCrop c = Topics.CELLS_ACCEPTED.deserializeValue(r.value());
                accepted.merge(c.getCellId(), 1, Integer::sum);
                assertThat(specimenOf(r)).isEqualTo(c.getSpecimenId());
            } else {
                DeadLetter d = Topics.CELLS_DEAD.deserializeValue(r.value());
                deadByReason.merge(d.getReason(), 1, Integer::sum);
                assertThat(d.getSourceTopic()).isEqualTo(Topics.CELLS_RAW.name());
                assertThat(d.getSourceOffset()).isNotNegative();
                if (d.getCellId() != null
                        && expected.containsKey(d.getCellId())
                        && d.getReason() != DeadLetterReason.DUPLICATE_CELL) {
                    assertThat(d.getReason().name()).isEqualTo(expected.get(d.getCellId()));
                }
            }
        }
        assertThat(accepted).hasSize(100).allSatisfy((id, n) -> assertThat(n).as(id).isOne());
        assertThat(deadByReason)
                .containsEntry(DeadLetterReason.EMPTY_IMAGE, 4)
                .containsEntry(DeadLetterReason.UNDECODABLE_IMAGE, 4)
                .containsEntry(DeadLetterReason.IMAGE_TOO_LARGE, 4)
                .containsEntry(DeadLetterReason.BAD_DIMENSIONS, 4)
                .containsEntry(DeadLetterReason.BAD_SCHEMA, 4)
                .containsEntry(DeadLetterReason.MISSING_ID, 4)
                .containsEntry(DeadLetterReason.DUPLICATE_CELL, 4);
        assertThat(broker.gate().state()).isEqualTo(KafkaStreams.State.RUNNING);
    }

    @Test
    void aCropOverTheBrokersMaxMessageBytesFailsWithAClearError() throws Exception {
        ConfigResource raw = new ConfigResource(ConfigResource.Type.TOPIC, Topics.CELLS_RAW.name());
        try (Admin admin = broker.kafka().admin()) {
            alter(admin, raw, "100000");
            byte[] noise = new byte[200_000];
            new Random(1).nextBytes(noise);
            CellCrop big = Topics.CELLS_RAW.deserializeValue(crop("big-1", "L-1", noise));
            try (CropSender sender = CropSender.connect(broker.bootstrapServers(), 1 << 20)) {
                assertThatThrownBy(() -> sender.crop(big).get())
                        .isInstanceOf(ExecutionException.class)
                        .cause()
                        .isInstanceOf(CropSender.TooLargeException.class)
                        .hasMessageContaining("crop big-1")
                        .hasMessageContaining("max.message.bytes")
                        .hasMessageContaining("cells.raw");
                // the producer is still usable for crops that fit
                sender.crop(
                                Topics.CELLS_RAW.deserializeValue(
                                        crop("small-1", "L-1", TestImages.png(20, 20))))
                        .get();
            }
        } finally {
            try (Admin admin = broker.kafka().admin()) {
                alter(admin, raw, String.valueOf(ClientSettings.MAX_RECORD_BYTES));
            }
        }
    }

    private static void alter(Admin admin, ConfigResource topic, String maxMessageBytes)
            throws Exception {
        admin.incrementalAlterConfigs(
                        Map.of(
                                topic,
                                List.of(
                                        new AlterConfigOp(
                                                new ConfigEntry(
                                                        "max.message.bytes", maxMessageBytes),
                                                AlterConfigOp.OpType.SET))))
                .all()
                .get();
    }

    private static ProducerRecord<byte[], byte[]> rec(byte[] key, byte[] value) {
        return new ProducerRecord<>(Topics.CELLS_RAW.name(), key, value);
    }

    private static String specimenOf(ConsumerRecord<byte[], byte[]> r) {
        return r.key() == null ? "" : new String(r.key(), UTF_8);
    }
}
