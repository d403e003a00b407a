package org.bloomstream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.bloomstream.schemas.SourceRecord;
import org.junit.jupiter.api.Test;

/** The job's source records: handed to the chained operator as they are, written field by field. */
class SourceRecordTypeInfoTest {
    private final TypeSerializer<SourceRecord> serializer =
            new SourceRecordDeserializer()
                    .getProducedType()
                    .createSerializer(new SerializerConfigImpl());

    @Test
    void theKafkaSourcesHandTheRecordOverWithoutCopyingItsBytes() {
        SourceRecord r =
                new SourceRecord("cells.accepted", 1, 2, 3, new byte[] {1}, new byte[22_000]);

        assertThat(serializer.copy(r)).isSameAs(r);
        assertThat(serializer.copy(r, new SourceRecord())).isSameAs(r);
    }

    @Test
    void aRecordRoundTripsFieldByFieldNullsIncluded() throws Exception {
        byte[] value = new byte[300];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) (i * 13);
        }
        for (SourceRecord r :
                new SourceRecord[] {
                    new SourceRecord(
                            "cells.accepted",
                            7,
                            1L << 40,
                            1_700_000_000_123L,
                            "k".getBytes(),
                            value),
                    new SourceRecord(null, 0, -1, 0, null, null)
                }) {
            DataOutputSerializer out = new DataOutputSerializer(64);
            serializer.serialize(r, out);

            SourceRecord back =
                    serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

            assertThat(back).isNotSameAs(r).isEqualTo(r);
            assertThat(back.timestamp).isEqualTo(r.timestamp);
        }
    }

    @Test
    void everyFieldIsWritten() {
        // A tripwire: the serializer lists the fields by hand, so a new one must be added there.
        assertThat(Arrays.stream(SourceRecord.class.getFields()).map(f -> f.getName()))
                .containsExactlyInAnyOrder(
                        "topic", "partition", "offset", "timestamp", "key", "value");
    }
}
