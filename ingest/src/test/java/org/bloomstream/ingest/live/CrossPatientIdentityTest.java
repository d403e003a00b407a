package org.bloomstream.ingest.live;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.utils.Utils;
import org.bloomstream.ingest.RealBroker;
import org.bloomstream.ingest.TestImages;
import org.bloomstream.ingest.gate.GateConfig;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.AttendedCells;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.bloomstream.schemas.avro.SpecimenPhase;
import org.bloomstream.schemas.avro.SpecimenStatus;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, defect 1 (a patient-safety defect): two specimens that send the same cell id. Before
 * the fix the gate dead-lettered the second crop as a duplicate when both specimens hashed to the
 * same partition, and let it through when they did not, and then the live page showed the first
 * patient's image on the second patient's card (thumbnails were looked up by cell id alone). Now a
 * crop is (specimen, cell) everywhere: both are accepted on any partitions, and each card shows its
 * own image.
 */
class CrossPatientIdentityTest {
    private static final int PARTITIONS = 2;
    private static final String CELL = "cell-0001";

    @TempDir Path dir;

    @Test
    void theSameCellIdInTwoSpecimensIsTwoCellsOnAnyPartitionAndEachCardShowsItsOwnImage()
            throws Exception {
        // Two pairs of specimens: one pair on the same partition, one pair on different ones.
        List<String> samePartition = specimens(true);
        List<String> otherPartitions = specimens(false);
        Map<String, byte[]> images = new LinkedHashMap<>();
        int w = 40;
        for (String s : concat(samePartition, otherPartitions)) {
            images.put(s, TestImages.encode(TestImages.rgb(w, 30), "png"));
            w += 12;
        }

        List<ConsumerRecord<byte[], byte[]>> out;
        try (RealBroker broker = RealBroker.start(dir, PARTITIONS, GateConfig.DEFAULT)) {
            try (KafkaProducer<byte[], byte[]> p =
                    new KafkaProducer<>(ClientSettings.producer(broker.bootstrapServers()))) {
                for (Map.Entry<String, byte[]> e : images.entrySet()) {
                    p.send(
                            new ProducerRecord<>(
                                    Topics.CELLS_RAW.name(),
                                    e.getKey().getBytes(UTF_8),
                                    Topics.CELLS_RAW.serializeValue(
                                            crop(e.getKey(), e.getValue()))));
                }
                p.flush();
            }
            out =
                    broker.readUntil(
                            List.of(Topics.CELLS_ACCEPTED.name(), Topics.CELLS_DEAD.name()),
                            all -> all.size() >= images.size(),
                            Duration.ofSeconds(60));
        }
        assertThat(RealBroker.byTopic(out))
                .as("every crop accepted, none dead-lettered as a duplicate")
                .isEqualTo(Map.of(Topics.CELLS_ACCEPTED.name(), (long) images.size()));

        Map<String, Integer> partitionOf = new LinkedHashMap<>();
        out.forEach(r -> partitionOf.put(new String(r.key(), UTF_8), r.partition()));
        assertThat(partitionOf.get(samePartition.get(0)))
                .isEqualTo(partitionOf.get(samePartition.get(1)));
        assertThat(partitionOf.get(otherPartitions.get(0)))
                .isNotEqualTo(partitionOf.get(otherPartitions.get(1)));

        LiveView view = new LiveView();
        for (ConsumerRecord<byte[], byte[]> r : out) {
            view.accept(r.topic(), r.value());
        }
        for (String s : images.keySet()) {
            view.onStatus(status(s));
        }
        HttpClient http = HttpClient.newHttpClient();
        try (LiveServer server = LiveServer.start("127.0.0.1", 0, view, null)) {
            List<byte[]> shown = new ArrayList<>();
            for (Map.Entry<String, byte[]> e : images.entrySet()) {
                HttpResponse<byte[]> r =
                        http.send(
                                HttpRequest.newBuilder(
                                                URI.create(
                                                        "http://127.0.0.1:"
                                                                + server.port()
                                                                + "/api/thumbnail?specimen="
                                                                + enc(e.getKey())
                                                                + "&cell="
                                                                + enc(CELL)))
                                        .build(),
                                HttpResponse.BodyHandlers.ofByteArray());
                assertThat(r.statusCode()).as(e.getKey()).isEqualTo(200);
                assertThat(r.body())
                        .as("the card of %s shows its own crop", e.getKey())
                        .isEqualTo(
                                Thumbnails.jpeg(
                                        e.getValue(), LiveView.Limits.DEFAULT.thumbnailEdge()));
                for (byte[] other : shown) {
                    assertThat(r.body()).isNotEqualTo(other);
                }
                shown.add(r.body());
            }
        }
    }

    /** Two specimen ids whose keys land on the same partition, or on different ones. */
    private static List<String> specimens(boolean same) {
        String first = same ? "SAME-A" : "DIFF-A";
        int p = partition(first);
        for (int i = 0; ; i++) {
            String candidate = (same ? "SAME-B" : "DIFF-B") + i;
            if ((partition(candidate) == p) == same) {
                return List.of(first, candidate);
            }
        }
    }

    /** Kafka's default partitioner for a keyed record. */
    private static int partition(String key) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(UTF_8))) % PARTITIONS;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static CellCrop crop(String specimen, byte[] image) {
        return CellCrop.newBuilder()
                .setCellId(CELL)
                .setSpecimenId(specimen)
                .setScanId("scan-1")
                .setScannerId("scanner-1")
                .setCaptureTime(Instant.now())
                .setImage(ByteBuffer.wrap(image))
                .setEncoding(ImageEncoding.UNKNOWN)
                .setWidth(0)
                .setHeight(0)
                .build();
    }

    private static SpecimenStatus status(String specimen) {
        return SpecimenStatus.newBuilder()
                .setSpecimenId(specimen)
                .setScanId("scan-1")
                .setSequence(1)
                .setPhase(SpecimenPhase.SCANNING)
                .setCellCount(1)
                .setDeadLetteredCells(0)
                .setMinCells(1)
                .setCall("control")
                .setProbabilities(List.of())
                .setDifferential(List.of())
                .setTopAttended(List.of(new AttendedCells("control", List.of(CELL))))
                .setAlertsRaised(List.of())
                .setMilModelId("mil-1")
                .setStatusTime(Instant.now())
                .build();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, UTF_8);
    }
}
