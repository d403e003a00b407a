package org.bloomstream.devkit.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.bloomstream.schemas.kafka.KafkaSecurity;

/**
 * Reads everything the pipeline publishes (with {@code read_committed}, as a downstream consumer
 * would) and keeps the counts the demo and the end-to-end tests check: unique and duplicate cells,
 * dead letters by reason, alerts and reports.
 */
public final class OutputTally implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private volatile Exception failure;

    private final Set<String> classifiedIds = new HashSet<>();
    private long duplicates;
    private final Map<String, Long> typeCounts = new TreeMap<>();
    private long agreeWithReference;
    private long withReference;
    private final List<DeadLetter> deadLetters = new ArrayList<>();
    private final List<AmlAlert> alerts = new ArrayList<>();
    private final Map<String, SpecimenReport> reports = new LinkedHashMap<>();
    private long duplicateReports;
    private final Map<String, String> fhir = new LinkedHashMap<>();

    public OutputTally(String bootstrapServers) {
        this(bootstrapServers, KafkaSecurity.NONE);
    }

    public OutputTally(String bootstrapServers, KafkaSecurity security) {
        consumer =
                new KafkaConsumer<>(
                        ClientSettings.consumer(
                                bootstrapServers,
                                "bloomstream-tally-" + UUID.randomUUID(),
                                security));
        consumer.subscribe(
                List.of(
                        Topics.CELLS_CLASSIFIED.name(),
                        Topics.CELLS_DEAD.name(),
                        Topics.ALERTS_AML.name(),
                        Topics.SPECIMEN_REPORTS.name(),
                        Topics.SPECIMEN_FHIR.name()));
        thread = new Thread(this::loop, "output-tally");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        try {
            while (running.get()) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    accept(r);
                }
            }
        } catch (Exception e) {
            if (running.get()) {
                failure = e;
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private synchronized void accept(ConsumerRecord<byte[], byte[]> r) {
        String topic = r.topic();
        if (topic.equals(Topics.CELLS_CLASSIFIED.name())) {
            ClassifiedCell c = Topics.CELLS_CLASSIFIED.deserializeValue(r.value());
            if (!classifiedIds.add(c.getCellId())) {
                duplicates++;
                return;
            }
            typeCounts.merge(c.getCellType(), 1L, Long::sum);
            if (c.getReferenceLabel() != null) {
                withReference++;
                if (c.getReferenceLabel().equalsIgnoreCase(c.getCellType())) {
                    agreeWithReference++;
                }
            }
        } else if (topic.equals(Topics.CELLS_DEAD.name())) {
            deadLetters.add(Topics.CELLS_DEAD.deserializeValue(r.value()));
        } else if (topic.equals(Topics.ALERTS_AML.name())) {
            alerts.add(Topics.ALERTS_AML.deserializeValue(r.value()));
        } else if (topic.equals(Topics.SPECIMEN_REPORTS.name())) {
            SpecimenReport rep = Topics.SPECIMEN_REPORTS.deserializeValue(r.value());
            if (reports.put(rep.getSpecimenId(), rep) != null) {
                duplicateReports++;
            }
        } else if (topic.equals(Topics.SPECIMEN_FHIR.name())) {
            fhir.put(
                    Topics.SPECIMEN_FHIR.deserializeKey(r.key()),
                    Topics.SPECIMEN_FHIR.deserializeValue(r.value()));
        }
    }

    /**
     * Distinct cells classified so far. Cheap, unlike {@link #snapshot}, which copies every id: a
     * benchmark polling the snapshot every 20 ms spent 10% of the process's CPU samples copying a
     * set of 40,000 ids, on the cores the pipeline it measures runs on.
     */
    public synchronized long classified() {
        checkConsumer();
        return classifiedIds.size();
    }

    private void checkConsumer() {
        if (failure != null) {
            throw new IllegalStateException("output consumer failed", failure);
        }
    }

    /** A consistent copy of the counts. */
    public synchronized Snapshot snapshot() {
        checkConsumer();
        Map<String, Long> deadByReason = new TreeMap<>();
        long deadCrops = 0;
        for (DeadLetter d : deadLetters) {
            deadByReason.merge(d.getReason().name(), 1L, Long::sum);
            if (!Topics.SCAN_EVENTS.name().equals(d.getSourceTopic())) {
                deadCrops++;
            }
        }
        return new Snapshot(
                Set.copyOf(classifiedIds),
                duplicates,
                new TreeMap<>(typeCounts),
                withReference,
                agreeWithReference,
                deadCrops,
                deadByReason,
                List.copyOf(deadLetters),
                List.copyOf(alerts),
                new LinkedHashMap<>(reports),
                duplicateReports,
                new LinkedHashMap<>(fhir));
    }

    /** Counts at one moment. */
    public record Snapshot(
            Set<String> classifiedIds,
            long duplicateCells,
            Map<String, Long> cellTypes,
            long withReference,
            long agreeWithReference,
            long deadCrops,
            Map<String, Long> deadByReason,
            List<DeadLetter> deadLetters,
            List<AmlAlert> alerts,
            Map<String, SpecimenReport> reports,
            long duplicateReports,
            Map<String, String> fhirBundles) {
        public long classified() {
            return classifiedIds.size();
        }

        /**
         * Whether every alert the reports list ({@code alertsRaised}) has arrived: alerts come
         * through a sink and a transaction of their own, so they may be committed after the report
         * that names them.
         */
        public boolean alertsOfReportsArrived() {
            Set<String> arrived = new HashSet<>();
            for (AmlAlert a : alerts) {
                arrived.add(a.getAlertId());
            }
            for (SpecimenReport r : reports.values()) {
                if (!arrived.containsAll(r.getAlertsRaised())) {
                    return false;
                }
            }
            return true;
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        consumer.wakeup();
        thread.join(10_000);
    }
}
