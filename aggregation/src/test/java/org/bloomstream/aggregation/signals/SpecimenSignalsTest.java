package org.bloomstream.aggregation.signals;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.apache.flink.streaming.api.operators.StreamFlatMap;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.bloomstream.aggregation.SpecimenSignal;
import org.bloomstream.schemas.DeadLetters;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;
import org.junit.jupiter.api.Test;

/**
 * The two side inputs of the specimen state: scan lifecycle events, and crops that will never
 * arrive. A scan event that cannot be used must become a dead letter with its reason (never a
 * failed job, never silence); a dead-lettered crop must count against its specimen's completeness.
 */
class SpecimenSignalsTest {
    private static final Instant T = Instant.parse("2026-03-01T08:00:00Z");
    private long offset;

    private SourceRecord record(String topic, byte[] value) {
        return new SourceRecord(topic, 0, offset++, 0L, "P-1".getBytes(UTF_8), value);
    }

    private SourceRecord scan(String specimen, ScanEventType type, Integer expected) {
        return record(
                Topics.SCAN_EVENTS.name(),
                Topics.SCAN_EVENTS.serializeValue(
                        new ScanEvent(specimen + "-s1", specimen, "cv-1", type, T, expected)));
    }

    @Test
    void scanEventsBecomeStartedAndFinishedSignals() throws Exception {
        try (var h = ProcessFunctionTestHarnesses.forProcessFunction(new ScanEventSignals())) {
            h.processElement(scan("P-1", ScanEventType.STARTED, null), 0L);
            h.processElement(scan("P-1", ScanEventType.FINISHED, 120), 0L);

            List<SpecimenSignal> out = h.extractOutputValues();
            assertThat(out)
                    .extracting(s -> s.kind, s -> s.specimenId, s -> s.scanId, s -> s.expectedCells)
                    .containsExactly(
                            tuple(SpecimenSignal.Kind.STARTED, "P-1", "P-1-s1", -1),
                            tuple(SpecimenSignal.Kind.FINISHED, "P-1", "P-1-s1", 120));
            assertThat(out).allSatisfy(s -> assertThat(s.eventTime).isEqualTo(T.toEpochMilli()));
            assertThat(h.getSideOutput(ScanEventSignals.DEAD)).isNull();
        }
    }

    @Test
    void aScanEventThatCannotBeUsedIsADeadLetterWithItsReason() throws Exception {
        SourceRecord garbage = record(Topics.SCAN_EVENTS.name(), "not avro".getBytes(UTF_8));
        SourceRecord empty = record(Topics.SCAN_EVENTS.name(), new byte[0]);
        SourceRecord blankId = scan(" ", ScanEventType.STARTED, null);
        SourceRecord noCount = scan("P-2", ScanEventType.FINISHED, null);
        SourceRecord negative = scan("P-3", ScanEventType.FINISHED, -1);
        try (var h = ProcessFunctionTestHarnesses.forProcessFunction(new ScanEventSignals())) {
            for (SourceRecord r : List.of(garbage, empty, blankId, noCount, negative)) {
                h.processElement(r, 0L);
            }

            assertThat(h.extractOutputValues()).isEmpty();
            List<DeadLetter> dead =
                    h.getSideOutput(ScanEventSignals.DEAD).stream()
                            .map(StreamRecord::getValue)
                            .toList();
            assertThat(dead)
                    .extracting(DeadLetter::getReason, DeadLetter::getSpecimenId)
                    .containsExactly(
                            tuple(DeadLetterReason.BAD_SCHEMA, null),
                            tuple(DeadLetterReason.BAD_SCHEMA, null),
                            tuple(DeadLetterReason.MISSING_ID, null),
                            tuple(DeadLetterReason.BAD_SCHEMA, "P-2"),
                            tuple(DeadLetterReason.BAD_SCHEMA, "P-3"));
            assertThat(dead.get(3).getDetail()).isEqualTo("FINISHED without expectedCells");
            // each one can be found and replayed: where it came from, and its original bytes
            for (int i = 0; i < dead.size(); i++) {
                DeadLetter d = dead.get(i);
                assertThat(d.getStage()).isEqualTo(ScanEventSignals.STAGE);
                assertThat(d.getSourceTopic()).isEqualTo(Topics.SCAN_EVENTS.name());
                assertThat(d.getSourceOffset()).isEqualTo(i);
                assertThat(d.getDetail()).isNotBlank();
            }
            assertThat(dead.get(0).getOriginalValue()).isEqualTo(ByteBuffer.wrap(garbage.value));
        }
    }

    private static SourceRecord deadRecord(
            DeadLetterReason reason, String sourceTopic, String specimen) {
        SourceRecord source = new SourceRecord(sourceTopic, 1, 42L, 0L, null, "x".getBytes(UTF_8));
        DeadLetter d = DeadLetters.of(reason, null, "decode", source, "c-1", specimen, T);
        return new SourceRecord(
                Topics.CELLS_DEAD.name(), 0, 0L, 0L, null, Topics.CELLS_DEAD.serializeValue(d));
    }

    @Test
    void aLostCropCountsAgainstItsSpecimenButDuplicatesAndScanEventsDoNot() throws Exception {
        try (OneInputStreamOperatorTestHarness<SourceRecord, SpecimenSignal> h =
                new OneInputStreamOperatorTestHarness<>(
                        new StreamFlatMap<>(new DeadLetterSignals()))) {
            h.open();
            h.processElement(
                    deadRecord(
                            DeadLetterReason.UNDECODABLE_IMAGE,
                            Topics.CELLS_ACCEPTED.name(),
                            "P-1"),
                    0L);
            h.processElement(
                    deadRecord(DeadLetterReason.DUPLICATE_CELL, Topics.CELLS_RAW.name(), "P-1"),
                    0L);
            h.processElement(
                    deadRecord(DeadLetterReason.BAD_SCHEMA, Topics.SCAN_EVENTS.name(), "P-1"), 0L);
            // lost, but to no known specimen: counted in a metric, cannot be attributed
            h.processElement(
                    deadRecord(DeadLetterReason.BAD_SCHEMA, Topics.CELLS_RAW.name(), null), 0L);
            h.processElement(
                    new SourceRecord(
                            Topics.CELLS_DEAD.name(), 0, 1L, 0L, null, "junk".getBytes(UTF_8)),
                    0L);

            List<SpecimenSignal> out = h.extractOutputValues();
            assertThat(out)
                    .singleElement()
                    .satisfies(
                            s -> {
                                assertThat(s.kind).isEqualTo(SpecimenSignal.Kind.CELL_LOST);
                                assertThat(s.specimenId).isEqualTo("P-1");
                                assertThat(s.eventTime).isEqualTo(T.toEpochMilli());
                            });
        }
    }
}
