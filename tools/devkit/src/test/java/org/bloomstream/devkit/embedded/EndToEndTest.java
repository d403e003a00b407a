package org.bloomstream.devkit.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.bloomstream.devkit.demo.OutputTally;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.feed.FeedProducer;
import org.bloomstream.devkit.feed.SpecimenProfile;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.inference.typing.CellTypeHead;
import org.bloomstream.ingest.ListeningSockets;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole system on a real embedded KRaft broker and a Flink MiniCluster at parallelism 2:
 * synthetic specimens in (a few crops broken on purpose), and every output checked against the
 * scanner's ground truth, read back with read_committed consumers.
 */
class EndToEndTest {

    @Test
    void everyCellIsClassifiedOrDeadLetteredExactlyOnceAndOnlySubtypesAlert(@TempDir Path dir)
            throws Exception {
        SyntheticScanner scanner =
                new SyntheticScanner(
                        SyntheticScanner.Config.of(7, 10, 120)
                                .withBadFraction(0.03)
                                .withStartTime(Instant.now()));
        List<Emission> emissions = scanner.toList();
        Set<String> goodIds = new HashSet<>();
        Set<String> badIds = new HashSet<>();
        for (Emission e : emissions) {
            if (e.type() == Emission.Type.CROP) {
                goodIds.add(e.cellId());
            } else if (e.type() == Emission.Type.BAD_CROP) {
                badIds.add(e.cellId());
            }
        }
        assertThat(badIds).as("the run must exercise dead-lettering").isNotEmpty();
        Map<String, SpecimenProfile> truth = scanner.specimens();

        int metricsPort = EmbeddedRuntime.freePort();
        try (EmbeddedRuntime rt =
                        EmbeddedRuntime.start(
                                new EmbeddedRuntime.Options(
                                        4,
                                        b -> TestJobs.fixtureJob(b, "e2e-"),
                                        false,
                                        dir.resolve("rt"),
                                        metricsPort));
                OutputTally tally = new OutputTally(rt.bootstrapServers());
                FeedProducer producer = new FeedProducer(rt.bootstrapServers())) {
            // The baseline the series must move from: before the first crop, not part way
            // through (on a busy machine the job may have embedded every crop before 200 of
            // them are committed, and nothing would move after that).
            Map<String, Double> early = MetricsScrape.scrape(metricsPort);
            // Closed by default (issue 20): the broker, the gate, Flink's REST, blob and RPC
            // servers and the metric reporter are all up now, and none listens beyond loopback.
            assertThat(ListeningSockets.ofThisProcess())
                    .as("sockets this JVM listens on")
                    .isNotEmpty()
                    .allMatch(ListeningSockets.Listener::loopback);
            FeedProducer.Sent sent = producer.send(emissions, 0, null);
            assertThat(sent.cropsIn()).isEqualTo(1200);

            Set<String> subtypeSpecimens =
                    truth.entrySet().stream()
                            .filter(e -> !e.getValue().isControl())
                            .map(Map.Entry::getKey)
                            .collect(Collectors.toSet());
            OutputTally.Snapshot s = tally.snapshot();
            long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
            // Poll on every output asserted below: the alerts, reports and FHIR bundles come
            // through sinks (and transactions) of their own, so one can lag behind another.
            while (s.classified() + s.deadCrops() < 1200
                    || s.reports().size() < 10
                    || s.fhirBundles().size() < 10
                    || !s.alertsOfReportsArrived()
                    || !alertedSpecimens(s).containsAll(subtypeSpecimens)) {
                assertThat(System.nanoTime())
                        .as(
                                "pipeline did not finish in time: "
                                        + s.classified()
                                        + " classified, "
                                        + s.deadCrops()
                                        + " dead, "
                                        + s.reports().size()
                                        + " reports")
                        .isLessThan(deadline);
                rt.checkJobAlive();
                Thread.sleep(200);
                s = tally.snapshot();
            }
            // A duplicate could only come from a transaction still open when the counts were
            // reached. Two more completed checkpoints commit every such transaction (three on the
            // reporter's count, which refreshes every second and may be one behind); then the
            // whole topic is read, up to its last stable offset, by a consumer of its own.
            double checkpoints =
                    MetricsScrape.total(
                            MetricsScrape.scrape(metricsPort), "numberOfCompletedCheckpoints");
            long checkpointDeadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (MetricsScrape.total(
                            MetricsScrape.scrape(metricsPort), "numberOfCompletedCheckpoints")
                    < checkpoints + 3) {
                assertThat(System.nanoTime())
                        .as("two more checkpoints")
                        .isLessThan(checkpointDeadline);
                rt.checkJobAlive();
                Thread.sleep(200);
            }
            List<String> committed = committedCellIds(rt.bootstrapServers());
            assertThat(committed).doesNotHaveDuplicates();
            assertThat(Set.copyOf(committed)).isEqualTo(goodIds);
            s = tally.snapshot();

            assertThat(s.duplicateCells()).isZero();
            assertThat(s.classifiedIds()).isEqualTo(goodIds);
            assertThat(tally.classified()).isEqualTo(goodIds.size());
            Set<String> deadIds =
                    s.deadLetters().stream()
                            .map(DeadLetter::getCellId)
                            .filter(id -> id != null)
                            .collect(Collectors.toSet());
            assertThat(badIds).containsAll(deadIds);
            assertThat(s.deadCrops()).isEqualTo(badIds.size());

            assertThat(s.duplicateReports()).isZero();
            assertThat(s.reports().keySet()).isEqualTo(truth.keySet());
            for (SpecimenReport r : s.reports().values()) {
                assertThat(r.getCellCount() + r.getDeadLetteredCells())
                        .as("report of %s accounts for every crop", r.getSpecimenId())
                        .isEqualTo(120);
                assertThat(r.getCall()).isEqualTo(truth.get(r.getSpecimenId()).label());
            }

            // The Prometheus endpoint shows the pipeline's key series, and they moved. The
            // reporter refreshes every second and each operator's counters on their own: poll
            // until every count asserted below is what the topics say (or 30 s have passed).
            OutputTally.Snapshot outputs = s;
            Predicate<Map<String, Double>> counted =
                    m ->
                            MetricsScrape.sum(m, "cellsEmbedded") == goodIds.size()
                                    && MetricsScrape.sum(m, "cellsTyped") == goodIds.size()
                                    && MetricsScrape.sum(m, "unknownCells")
                                            == outputs.cellTypes()
                                                    .getOrDefault(CellTypeHead.UNKNOWN, 0L)
                                    && MetricsScrape.sum(m, "reports") >= truth.size()
                                    && MetricsScrape.sum(m, "subtype_alerts")
                                            == outputs.alerts().size()
                                    && MetricsScrape.sum(m, "reason_deadLetters")
                                            == jobDeadLetters(outputs);
            Map<String, Double> late = MetricsScrape.scrape(metricsPort);
            long metricsDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!counted.test(late) && System.nanoTime() < metricsDeadline) {
                Thread.sleep(200);
                late = MetricsScrape.scrape(metricsPort);
            }
            for (String series :
                    List.of("cellsEmbedded", "cellsTyped", "cropsDecoded", "batches", "reports")) {
                assertThat(MetricsScrape.sum(late, series))
                        .as(series + " moved")
                        .isGreaterThan(MetricsScrape.sum(early, series));
            }
            assertThat(MetricsScrape.sum(late, "cellsEmbedded")).isEqualTo((double) goodIds.size());
            for (String series :
                    List.of(
                            "batchSize_count",
                            "queueMicros",
                            "computeMicros",
                            "cropsPerSecond",
                            "endToEndLatencyMs",
                            "openSpecimens",
                            "lateCells")) {
                assertThat(MetricsScrape.names(late))
                        .as(series + " is exported")
                        .anyMatch(n -> n.endsWith("_" + series));
            }
            assertThat(MetricsScrape.sum(late, "provider_executionProviderInfo")).isPositive();
            // The head's confidence and its unknown rate (unknownCells / cellsTyped).
            assertThat(MetricsScrape.sum(late, "typeConfidence_count")).isPositive();
            assertThat(MetricsScrape.sum(late, "cellsTyped")).isEqualTo((double) goodIds.size());
            assertThat(MetricsScrape.sum(late, "unknownCells"))
                    .isEqualTo((double) s.cellTypes().getOrDefault(CellTypeHead.UNKNOWN, 0L));
            assertThat(MetricsScrape.sum(late, "subtype_alerts"))
                    .isEqualTo((double) s.alerts().size());
            // Every reason is exported (zeros included) and counts the job's own dead letters;
            // the gate's are counted by the ingest service.
            assertThat(
                            late.keySet().stream()
                                    .filter(k -> k.contains("_reason_deadLetters{"))
                                    .count())
                    .isGreaterThanOrEqualTo(DeadLetterReason.values().length);
            assertThat(MetricsScrape.sum(late, "reason_deadLetters"))
                    .isEqualTo((double) jobDeadLetters(s));

            // Every report also went out as a FHIR bundle whose DiagnosticReport id derives from
            // the specimen.
            assertThat(s.fhirBundles().keySet()).isEqualTo(truth.keySet());
            s.fhirBundles()
                    .forEach(
                            (specimen, json) ->
                                    assertThat(json)
                                            .contains("\"resourceType\":\"Bundle\"")
                                            .contains("DiagnosticReport/aml-" + specimen));

            Map<String, String> firstAlert = new HashMap<>();
            for (AmlAlert a : s.alerts()) {
                firstAlert.putIfAbsent(a.getSpecimenId(), a.getSubtype());
            }
            assertThat(firstAlert.keySet()).isEqualTo(subtypeSpecimens);
            firstAlert.forEach(
                    (specimen, subtype) ->
                            assertThat(subtype).isEqualTo(truth.get(specimen).label()));
            assertThat(s.alerts().stream().map(AmlAlert::getAlertId).distinct().count())
                    .isEqualTo(s.alerts().size());
        }
    }

    private static Set<String> alertedSpecimens(OutputTally.Snapshot s) {
        return s.alerts().stream().map(AmlAlert::getSpecimenId).collect(Collectors.toSet());
    }

    /** The dead letters the job wrote (the gate's are counted by the ingest service). */
    private static long jobDeadLetters(OutputTally.Snapshot s) {
        return s.deadLetters().stream().filter(d -> !d.getStage().equals("gate")).count();
    }

    /** Every cell id on the classified topic, read_committed, from the start to the end. */
    static List<String> committedCellIds(String bootstrap) {
        String topic = Topics.CELLS_CLASSIFIED.name();
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(
                        ClientSettings.consumer(bootstrap, "e2e-check-" + UUID.randomUUID()))) {
            List<TopicPartition> parts =
                    c.partitionsFor(topic).stream()
                            .map(i -> new TopicPartition(topic, i.partition()))
                            .toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            // Under read_committed these are the last stable offsets.
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            List<String> ids = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                assertThat(System.nanoTime()).as("read to the end").isLessThan(deadline);
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    ids.add(Topics.CELLS_CLASSIFIED.deserializeValue(r.value()).getCellId());
                }
            }
            return ids;
        }
    }
}
