package org.bloomstream.app.job;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.bloomstream.schemas.Topic;
import org.bloomstream.schemas.Topics;

/**
 * Writes a value to its registry topic with the registry's serdes. Holds only the topic name: the
 * {@link Topic} (and its serdes) is looked up on the task manager.
 */
public final class TopicSerializer<V> implements KafkaRecordSerializationSchema<V> {
    private static final long serialVersionUID = 1L;

    private final String topicName;
    private final SerializableFunction<V, String> key;
    private transient Topic<String, V> topic;

    public TopicSerializer(Topic<String, V> topic, SerializableFunction<V, String> key) {
        this.topicName = topic.name();
        this.key = key;
    }

    @Override
    public void open(
            SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        topic = Topics.byName(topicName);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(V value, KafkaSinkContext ctx, Long timestamp) {
        if (topic == null) {
            topic = Topics.byName(topicName);
        }
        return new ProducerRecord<>(
                topicName,
                null,
                timestamp,
                topic.serializeKey(key.apply(value)),
                topic.serializeValue(value));
    }
}
