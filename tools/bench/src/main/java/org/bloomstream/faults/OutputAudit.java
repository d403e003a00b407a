package org.bloomstream.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.bloomstream.schemas.kafka.KafkaSecurity;

/**
 * Everything on the accepted and output topics, read once from the beginning up to the end that a
 * {@code read_committed} consumer can see (the last stable offset), with every occurrence counted:
 * a record written twice shows up twice here, whatever the writer meant.
 *
 * <p>Read it after the writers have stopped (the job with a savepoint), so no transaction is left
 * open and the end is final.
 */
public final class OutputAudit {
    /** How often each cell id occurs on {@code cells.accepted}. */
    public final Map<String, Integer> accepted = new HashMap<>();

    /** How often each cell id occurs on {@code cells.classified}. */
    public final Map<String, Integer> classified = new HashMap<>();

    /** Classified cells per specimen (each occurrence). */
    public final Map<String, Integer> classifiedPerSpecimen = new HashMap<>();

    /** Every dead letter. */
    public final List<DeadLetter> dead = new ArrayList<>();

    /** Every alert. */
    public final List<AmlAlert> alerts = new ArrayList<>();

    /** Every report, in order. */
    public final List<SpecimenReport> reports = new ArrayList<>();

    /** Records of {@code specimens.fhir} per key. */
    public final Map<String, Integer> fhir = new HashMap<>();

    /** Records that did not parse (there should be none on these topics). */
    public long unreadable;

    private OutputAudit() {}

    /** Reads the topics to their end. */
    public static OutputAudit read(String bootstrap, KafkaSecurity security, Duration timeout) {
        OutputAudit a = new OutputAudit();
        List<String> topics =
                List.of(
                        Topics.CELLS_ACCEPTED.name(),
                        Topics.CELLS_CLASSIFIED.name(),
                        Topics.CELLS_DEAD.name(),
                        Topics.ALERTS_AML.name(),
                        Topics.SPECIMEN_REPORTS.name(),
                        Topics.SPECIMEN_FHIR.name());
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(
                        ClientSettings.consumer(
                                bootstrap, "bloomstream-audit-" + UUID.randomUUID(), security))) {
            List<TopicPartition> parts = new ArrayList<>();
            for (String t : topics) {
                for (PartitionInfo p : c.partitionsFor(t, timeout)) {
                    parts.add(new TopicPartition(t, p.partition()));
                }
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!caughtUp(c, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read the topics to their end");
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    a.accept(r);
                }
            }
        }
        return a;
    }

    private static boolean caughtUp(
            KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> end) {
        for (var e : end.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void accept(ConsumerRecord<byte[], byte[]> r) {
        String t = r.topic();
        try {
            if (t.equals(Topics.CELLS_ACCEPTED.name())) {
                CellCrop crop = Topics.CELLS_ACCEPTED.deserializeValue(r.value());
                accepted.merge(crop.getCellId(), 1, Integer::sum);
            } else if (t.equals(Topics.CELLS_CLASSIFIED.name())) {
                ClassifiedCell cell = Topics.CELLS_CLASSIFIED.deserializeValue(r.value());
                classified.merge(cell.getCellId(), 1, Integer::sum);
                classifiedPerSpecimen.merge(cell.getSpecimenId(), 1, Integer::sum);
            } else if (t.equals(Topics.CELLS_DEAD.name())) {
                dead.add(Topics.CELLS_DEAD.deserializeValue(r.value()));
            } else if (t.equals(Topics.ALERTS_AML.name())) {
                alerts.add(Topics.ALERTS_AML.deserializeValue(r.value()));
            } else if (t.equals(Topics.SPECIMEN_REPORTS.name())) {
                reports.add(Topics.SPECIMEN_REPORTS.deserializeValue(r.value()));
            } else if (t.equals(Topics.SPECIMEN_FHIR.name())) {
                fhir.merge(Topics.SPECIMEN_FHIR.deserializeKey(r.key()), 1, Integer::sum);
            }
        } catch (RuntimeException e) {
            unreadable++;
        }
    }

    /** Cell ids that occur more than once on {@code cells.classified}. */
    public long duplicateClassified() {
        return classified.values().stream().filter(n -> n > 1).count();
    }

    /** Cell ids that occur more than once on {@code cells.accepted}. */
    public long duplicateAccepted() {
        return accepted.values().stream().filter(n -> n > 1).count();
    }

    /** Alerts that repeat a (specimen, subtype, version) already seen. */
    public long duplicateAlerts() {
        Map<String, Integer> n = new HashMap<>();
        for (AmlAlert al : alerts) {
            n.merge(
                    al.getSpecimenId() + "\u0000" + al.getSubtype() + "\u0000" + al.getVersion(),
                    1,
                    Integer::sum);
        }
        return n.values().stream().filter(v -> v > 1).mapToLong(v -> v - 1).sum();
    }

    /** Reports per specimen. */
    public Map<String, Integer> reportsPerSpecimen() {
        Map<String, Integer> n = new HashMap<>();
        for (SpecimenReport r : reports) {
            n.merge(r.getSpecimenId(), 1, Integer::sum);
        }
        return n;
    }
}
