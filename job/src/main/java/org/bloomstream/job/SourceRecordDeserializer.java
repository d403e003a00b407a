package org.bloomstream.job;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.bloomstream.schemas.SourceRecord;

/**
 * Reads Kafka records as {@link SourceRecord}s without parsing them, so a record that does not
 * parse becomes a dead letter in the job instead of a failed source.
 */
public final class SourceRecordDeserializer
        implements KafkaRecordDeserializationSchema<SourceRecord> {
    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<SourceRecord> out) {
        out.collect(
                new SourceRecord(
                        r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value()));
    }

    @Override
    public TypeInformation<SourceRecord> getProducedType() {
        return SourceRecordTypeInfo.INSTANCE;
    }
}
