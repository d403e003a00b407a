package org.bloomstream.aggregation.signals;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.apache.kafka.common.errors.SerializationException;
import org.bloomstream.aggregation.SpecimenSignal;
import org.bloomstream.schemas.AvroSerde;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;

/**
 * Turns dead-lettered crops into {@link SpecimenSignal.Kind#CELL_LOST} signals, so a specimen knows
 * that a crop the scanner counted will never arrive. Duplicates are not losses (the original was
 * processed) and dead letters that name no specimen cannot be attributed; both are skipped and
 * counted.
 */
public class DeadLetterSignals extends RichFlatMapFunction<SourceRecord, SpecimenSignal> {
    private static final long serialVersionUID = 1L;

    private transient AvroSerde<DeadLetter> serde;
    private transient Counter unattributed;

    @Override
    public void open(OpenContext openContext) {
        serde = new AvroSerde<>(DeadLetter.class);
        unattributed = getRuntimeContext().getMetricGroup().counter("unattributedDeadLetters");
    }

    @Override
    public void flatMap(SourceRecord in, Collector<SpecimenSignal> out) {
        DeadLetter dead;
        try {
            dead = serde.decode(in.value);
        } catch (SerializationException e) {
            unattributed.inc();
            return;
        }
        if (dead.getReason() == DeadLetterReason.DUPLICATE_CELL) {
            return;
        }
        // Scan events that failed are not crops; only crop losses count towards completeness.
        if (Topics.SCAN_EVENTS.name().equals(dead.getSourceTopic())) {
            return;
        }
        if (dead.getSpecimenId() == null) {
            unattributed.inc();
            return;
        }
        out.collect(
                new SpecimenSignal(
                        SpecimenSignal.Kind.CELL_LOST,
                        dead.getSpecimenId(),
                        null,
                        -1,
                        dead.getDeadTime().toEpochMilli()));
    }
}
