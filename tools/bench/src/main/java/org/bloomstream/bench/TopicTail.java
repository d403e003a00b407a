package org.bloomstream.bench;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.bloomstream.schemas.kafka.ClientSettings;

/**
 * Reads topics from their start on a thread of its own, in a consumer group of its own, and hands
 * each record with the wall-clock time it arrived to a handler, until closed: how the benchmarks
 * watch the outputs while they feed the inputs. The thread is a daemon, so a benchmark that fails
 * half-way still exits.
 */
final class TopicTail implements AutoCloseable {
    /** Called on the tail's thread for each record. */
    interface Handler {
        void accept(ConsumerRecord<byte[], byte[]> record, long arrivedMillis);
    }

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    private TopicTail(String bootstrap, String name, List<String> topics, Handler handler) {
        thread = new Thread(() -> run(bootstrap, name, topics, handler), name + "-consumer");
        thread.setDaemon(true);
    }

    /**
     * Starts reading.
     *
     * @param name names the thread and prefixes the consumer group
     */
    static TopicTail start(String bootstrap, String name, List<String> topics, Handler handler) {
        TopicTail t = new TopicTail(bootstrap, name, topics, handler);
        t.thread.start();
        return t;
    }

    private void run(String bootstrap, String name, List<String> topics, Handler handler) {
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(
                        ClientSettings.consumer(bootstrap, name + "-" + UUID.randomUUID()))) {
            c.subscribe(topics);
            while (running.get()) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(50))) {
                    handler.accept(r, System.currentTimeMillis());
                }
            }
        }
    }

    /** Stops reading and waits (10 s at most) for the thread to close its consumer. */
    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.join(10_000);
    }
}
