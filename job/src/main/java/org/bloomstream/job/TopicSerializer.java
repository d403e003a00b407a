package org.bloomstream.job;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.bloomstream.schemas.Topic;
import org.bloomstream.schemas.Topics;

/**
 * Writes stream elements to their registry topic with the registry's serdes. Holds only the topic
 * name: the {@link Topic} (and its serdes) is looked up on the task manager.
 *
 * @param <E> the stream element
 * @param <V> the topic's value type (the element itself, or a part of it)
 */
public final class TopicSerializer<E, V> implements KafkaRecordSerializationSchema<E> {
    private static final long serialVersionUID = 1L;

    private final String topicName;
    private final SerializableFunction<E, String> key;
    private final SerializableFunction<E, V> value;
    private transient Topic<String, V> topic;

    public TopicSerializer(
            Topic<String, V> topic,
            SerializableFunction<E, String> key,
            SerializableFunction<E, V> value) {
        this.topicName = topic.name();
        this.key = key;
        this.value = value;
    }

    /** The element is the value. */
    public static <V> TopicSerializer<V, V> of(
            Topic<String, V> topic, SerializableFunction<V, String> key) {
        return new TopicSerializer<>(topic, key, v -> v);
    }

    @Override
    public void open(
            SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
        topic = Topics.byName(topicName);
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(
            E element, KafkaSinkContext ctx, Long timestamp) {
        if (topic == null) {
            topic = Topics.byName(topicName);
        }
        return new ProducerRecord<>(
                topicName,
                null,
                timestamp,
                topic.serializeKey(key.apply(element)),
                topic.serializeValue(value.apply(element)));
    }
}
