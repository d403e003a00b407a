package org.bloomstream.devkit.inmemory;

import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * In-memory sinks for one job run. The MiniCluster runs in the test's JVM, so every parallel writer
 * of a sink appends to one queue in a static map, under a key of this run's own: runs never see
 * each other's outputs. {@link #close()} drops the run's queues.
 */
final class CollectedOutputs implements AutoCloseable {
    private static final Map<String, Queue<Object>> QUEUES = new ConcurrentHashMap<>();

    private final String run = UUID.randomUUID().toString();

    /** A sink whose elements end up in {@link #get(String)} under {@code name}. */
    <T> Sink<T> sink(String name) {
        String key = run + "/" + name;
        QUEUES.put(key, new ConcurrentLinkedQueue<>());
        return new CollectingSink<>(key);
    }

    /** What the sink called {@code name} received, in no particular order across writers. */
    @SuppressWarnings("unchecked")
    <T> List<T> get(String name) {
        Queue<Object> q = QUEUES.get(run + "/" + name);
        if (q == null) {
            throw new IllegalArgumentException("no sink " + name);
        }
        return (List<T>) List.copyOf(q);
    }

    @Override
    public void close() {
        QUEUES.keySet().removeIf(k -> k.startsWith(run + "/"));
    }

    private static final class CollectingSink<T> implements Sink<T> {
        private static final long serialVersionUID = 1L;
        private final String key;

        CollectingSink(String key) {
            this.key = key;
        }

        @Override
        public SinkWriter<T> createWriter(WriterInitContext context) {
            Queue<Object> queue = QUEUES.get(key);
            if (queue == null) {
                throw new IllegalStateException("outputs of " + key + " already closed");
            }
            return new SinkWriter<>() {
                @Override
                public void write(T element, Context ctx) {
                    queue.add(element);
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
