package org.bloomstream.schemas;

import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.Serdes;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScannerDrift;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.avro.SpecimenStatus;

/**
 * The typed topic registry. Every producer, consumer, Streams topology and Flink connector in the
 * project takes its topic name and serdes from here. Keys are specimen ids everywhere (except
 * {@code scanners.drift}, keyed by scanner), so one specimen's records stay in one partition and in
 * order.
 */
public final class Topics {
    private Topics() {}

    /** Crops as scanners emit them; not trusted: the ingest gate reads it as raw bytes. */
    public static final Topic<String, CellCrop> CELLS_RAW =
            new Topic<>(
                    "cells.raw",
                    Serdes.String(),
                    new AvroSerde<>(CellCrop.class),
                    "crops as scanners emit them, before validation");

    /** Crops that passed the ingest gate: the Flink job's input. */
    public static final Topic<String, CellCrop> CELLS_ACCEPTED =
            new Topic<>(
                    "cells.accepted",
                    Serdes.String(),
                    new AvroSerde<>(CellCrop.class),
                    "validated crops, keyed by specimen");

    /** Everything that left the pipeline, with a machine-readable reason. */
    public static final Topic<String, DeadLetter> CELLS_DEAD =
            new Topic<>(
                    "cells.dead",
                    Serdes.String(),
                    new AvroSerde<>(DeadLetter.class),
                    "rejected records with reason codes (gate and job)");

    /** Scan started / finished, from the scanners. */
    public static final Topic<String, ScanEvent> SCAN_EVENTS =
            new Topic<>(
                    "scans.events",
                    Serdes.String(),
                    new AvroSerde<>(ScanEvent.class),
                    "scan lifecycle events");

    /** One record per accepted cell: type, probabilities, timings. */
    public static final Topic<String, ClassifiedCell> CELLS_CLASSIFIED =
            new Topic<>(
                    "cells.classified",
                    Serdes.String(),
                    new AvroSerde<>(ClassifiedCell.class),
                    "typed cells with probabilities and timings");

    /** AML subtype alerts raised while a scan runs. */
    public static final Topic<String, AmlAlert> ALERTS_AML =
            new Topic<>(
                    "alerts.aml",
                    Serdes.String(),
                    new AvroSerde<>(AmlAlert.class),
                    "AML subtype alerts");

    /**
     * Where each open specimen stands (probabilities, progress, differential, most attended cells),
     * throttled per specimen, plus a last status at close: for live views such as the lab page.
     */
    public static final Topic<String, SpecimenStatus> SPECIMEN_STATUS =
            new Topic<>(
                    "specimens.status",
                    Serdes.String(),
                    new AvroSerde<>(SpecimenStatus.class),
                    "live status of open specimens (throttled)");

    /** One final report per specimen. */
    public static final Topic<String, SpecimenReport> SPECIMEN_REPORTS =
            new Topic<>(
                    "specimens.reports",
                    Serdes.String(),
                    new AvroSerde<>(SpecimenReport.class),
                    "final per-specimen reports");

    /** The final reports as FHIR R4 transaction bundles (JSON), for clinical systems. */
    public static final Topic<String, String> SPECIMEN_FHIR =
            new Topic<>(
                    "specimens.fhir",
                    Serdes.String(),
                    Serdes.String(),
                    "final reports as FHIR R4 bundles (JSON)");

    /**
     * Per-scanner drift of the embeddings against the serving head's fitting cells (batch-effect
     * watch); keyed by scanner id, not specimen: one scanner's records stay in order.
     */
    public static final Topic<String, ScannerDrift> SCANNERS_DRIFT =
            new Topic<>(
                    "scanners.drift",
                    Serdes.String(),
                    new AvroSerde<>(ScannerDrift.class),
                    "per-scanner embedding drift against the head's reference, keyed by scanner");

    private static final List<Topic<String, ?>> ALL =
            List.of(
                    CELLS_RAW,
                    CELLS_ACCEPTED,
                    CELLS_DEAD,
                    SCAN_EVENTS,
                    CELLS_CLASSIFIED,
                    ALERTS_AML,
                    SPECIMEN_STATUS,
                    SPECIMEN_REPORTS,
                    SPECIMEN_FHIR,
                    SCANNERS_DRIFT);

    private static final Map<String, Topic<String, ?>> BY_NAME =
            ALL.stream().collect(Collectors.toUnmodifiableMap(Topic::name, Function.identity()));

    /** All topics, in pipeline order. */
    public static List<Topic<String, ?>> all() {
        return ALL;
    }

    /** Looks a topic up by name; for code that must not hold serdes in serialized state. */
    @SuppressWarnings("unchecked")
    public static <V> Topic<String, V> byName(String name) {
        Topic<String, ?> topic = BY_NAME.get(name);
        if (topic == null) {
            throw new NoSuchElementException(
                    "no topic named '" + name + "'; known: " + BY_NAME.keySet());
        }
        return (Topic<String, V>) topic;
    }
}
