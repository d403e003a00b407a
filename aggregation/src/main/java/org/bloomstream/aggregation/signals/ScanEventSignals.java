package org.bloomstream.aggregation.signals;

import java.time.Instant;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.kafka.common.errors.SerializationException;
import org.bloomstream.aggregation.SpecimenSignal;
import org.bloomstream.schemas.AvroSerde;
import org.bloomstream.schemas.DeadLetters;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.bloomstream.schemas.avro.ScanEvent;

/**
 * Parses scan lifecycle events into {@link SpecimenSignal}s. Events that do not parse, lack a
 * specimen id or carry a type this version does not know go to {@link #DEAD}.
 */
public class ScanEventSignals extends ProcessFunction<SourceRecord, SpecimenSignal> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<DeadLetter> DEAD = new OutputTag<>("scan-event-dead") {};
    static final String STAGE = "scan-events";

    private transient AvroSerde<ScanEvent> serde;

    @Override
    public void open(OpenContext openContext) {
        serde = new AvroSerde<>(ScanEvent.class);
    }

    @Override
    public void processElement(SourceRecord in, Context ctx, Collector<SpecimenSignal> out) {
        ScanEvent ev;
        try {
            ev = serde.decode(in.value);
        } catch (SerializationException e) {
            dead(ctx, in, DeadLetterReason.BAD_SCHEMA, e.getMessage(), null);
            return;
        }
        if (ev.getSpecimenId() == null || ev.getSpecimenId().isBlank()) {
            dead(ctx, in, DeadLetterReason.MISSING_ID, "scan event without specimenId", null);
            return;
        }
        long time = ev.getEventTime().toEpochMilli();
        switch (ev.getType()) {
            case STARTED ->
                    out.collect(
                            new SpecimenSignal(
                                    SpecimenSignal.Kind.STARTED,
                                    ev.getSpecimenId(),
                                    ev.getScanId(),
                                    -1,
                                    time));
            case FINISHED -> {
                if (ev.getExpectedCells() == null || ev.getExpectedCells() < 0) {
                    dead(
                            ctx,
                            in,
                            DeadLetterReason.BAD_SCHEMA,
                            "FINISHED without expectedCells",
                            ev.getSpecimenId());
                    return;
                }
                out.collect(
                        new SpecimenSignal(
                                SpecimenSignal.Kind.FINISHED,
                                ev.getSpecimenId(),
                                ev.getScanId(),
                                ev.getExpectedCells(),
                                time));
            }
            default ->
                    dead(
                            ctx,
                            in,
                            DeadLetterReason.BAD_SCHEMA,
                            "unknown scan event type",
                            ev.getSpecimenId());
        }
    }

    /** A dead letter names its specimen where the event parsed far enough to know it. */
    private static void dead(
            Context ctx, SourceRecord in, DeadLetterReason reason, String detail, String specimen) {
        ctx.output(DEAD, DeadLetters.of(reason, detail, STAGE, in, null, specimen, Instant.now()));
    }
}
