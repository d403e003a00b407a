package org.bloomstream.schemas;

import java.util.Arrays;
import java.util.Objects;

/**
 * A Kafka record as it was read, before any parsing: the bytes plus where they came from. Stages
 * that must dead-letter what they cannot parse consume this instead of a typed value, so a bad
 * record becomes a {@code DeadLetter} with its source coordinates rather than a crashed job.
 *
 * <p>A Flink POJO (public fields, no-arg constructor) so it serialises without Kryo.
 */
public class SourceRecord {
    public String topic;
    public int partition;
    public long offset;

    /** Kafka record timestamp, epoch millis. */
    public long timestamp;

    public byte[] key;
    public byte[] value;

    public SourceRecord() {}

    public SourceRecord(
            String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.key = key;
        this.value = value;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SourceRecord)) {
            return false;
        }
        SourceRecord r = (SourceRecord) o;
        return partition == r.partition
                && offset == r.offset
                && timestamp == r.timestamp
                && Objects.equals(topic, r.topic)
                && Arrays.equals(key, r.key)
                && Arrays.equals(value, r.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, partition, offset);
    }

    @Override
    public String toString() {
        // Never the payload: it is image bytes and may identify a patient.
        return topic + "-" + partition + "@" + offset;
    }
}
