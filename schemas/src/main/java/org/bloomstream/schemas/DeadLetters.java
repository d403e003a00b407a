package org.bloomstream.schemas;

import java.nio.ByteBuffer;
import java.time.Instant;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;

/** Builds dead letters the same way in every stage, keeping the original bytes for replay. */
public final class DeadLetters {
    private DeadLetters() {}

    public static DeadLetter of(
            DeadLetterReason reason,
            String detail,
            String stage,
            SourceRecord source,
            String cellId,
            String specimenId,
            Instant now) {
        return DeadLetter.newBuilder()
                .setReason(reason)
                .setDetail(detail == null ? reason.name() : detail)
                .setStage(stage)
                .setSourceTopic(source.topic)
                .setSourcePartition(source.partition)
                .setSourceOffset(source.offset)
                .setCellId(cellId)
                .setSpecimenId(specimenId)
                .setOriginalKey(source.key == null ? null : ByteBuffer.wrap(source.key))
                .setOriginalValue(source.value == null ? null : ByteBuffer.wrap(source.value))
                .setDeadTime(now)
                .build();
    }

    /** The key a dead letter is written under: its specimen when known, else "unknown". */
    public static String keyOf(DeadLetter dead) {
        return dead.getSpecimenId() != null ? dead.getSpecimenId() : "unknown";
    }
}
