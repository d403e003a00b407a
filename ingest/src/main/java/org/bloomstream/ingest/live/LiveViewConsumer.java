package org.bloomstream.ingest.live;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.bloomstream.schemas.kafka.KafkaSecurity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds a {@link LiveView} from the pipeline's topics, on a thread of its own.
 *
 * <p>The consumer is {@code read_committed}, like every downstream reader: the job's and the gate's
 * sinks are transactional, and an aborted transaction's records (a restarted job's) must not show
 * on the page. It assigns every partition of {@link LiveView#topics()} itself instead of joining a
 * consumer group: each page server wants every record, commits nothing and must not wait for a
 * rebalance to start showing. Where it starts: the first offset at or after {@code now - lookback}
 * in each partition (an open specimen older than that would be stale anyway), or the beginning when
 * {@code lookback} is null (the embedded runtime, whose topics are new).
 *
 * <p>A broker that cannot be reached, or a topic that does not exist yet, is retried every few
 * seconds; the error is kept for the page ({@link #error()}) and logged once per distinct message.
 * Record contents, the specimen and cell ids included, are never logged.
 */
public final class LiveViewConsumer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveViewConsumer.class);
    private static final Duration RETRY = Duration.ofSeconds(3);

    private final LiveView view;
    private final Properties props;
    private final Duration lookback;
    private final Clock clock;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong records = new AtomicLong();
    private final Thread thread;
    private volatile KafkaConsumer<byte[], byte[]> consumer;
    private volatile String error;
    private volatile boolean assigned;

    private LiveViewConsumer(
            LiveView view,
            String bootstrapServers,
            KafkaSecurity security,
            Duration lookback,
            Clock clock) {
        this.view = view;
        this.lookback = lookback;
        this.clock = clock;
        props = ClientSettings.consumer(bootstrapServers, "unused", security);
        // No group: partitions are assigned by hand and nothing is committed.
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "bloomstream-live-view");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        thread = new Thread(this::loop, "live-view-consumer");
        thread.setDaemon(true);
    }

    /**
     * Starts reading into {@code view}.
     *
     * @param lookback how far back to start reading; null for the beginning of the topics
     */
    public static LiveViewConsumer start(
            LiveView view, String bootstrapServers, Duration lookback) {
        return start(view, bootstrapServers, KafkaSecurity.NONE, lookback);
    }

    /** {@link #start(LiveView, String, Duration)} with encryption and authentication. */
    public static LiveViewConsumer start(
            LiveView view, String bootstrapServers, KafkaSecurity security, Duration lookback) {
        LiveViewConsumer c =
                new LiveViewConsumer(view, bootstrapServers, security, lookback, Clock.systemUTC());
        c.thread.start();
        return c;
    }

    /** Records read so far, all topics. */
    public long records() {
        return records.get();
    }

    /** True once every partition of the view's topics is assigned and positioned. */
    public boolean assigned() {
        return assigned;
    }

    /** The last error reading the topics, or null while reading works. */
    public String error() {
        return error;
    }

    private void loop() {
        String lastLogged = null;
        while (running.get()) {
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
                consumer = c;
                if (!running.get()) {
                    return;
                }
                // A reconnect reads from the lookback again: start from an empty view, or every
                // cell would be counted twice.
                view.clear();
                assign(c);
                assigned = true;
                error = null;
                LOG.info("live view reading {} from {}", LiveView.topics(), where());
                while (running.get()) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(250))) {
                        view.accept(r.topic(), r.value());
                        records.incrementAndGet();
                    }
                    error = null;
                }
            } catch (WakeupException e) {
                return; // closing
            } catch (RuntimeException e) {
                assigned = false;
                String message = e.getClass().getSimpleName() + ": " + e.getMessage();
                error = "cannot read the pipeline's topics: " + message;
                if (!message.equals(lastLogged)) {
                    LOG.warn("live view: {}; retrying every {} s", error, RETRY.toSeconds());
                    lastLogged = message;
                }
                sleepBeforeRetry();
            } finally {
                consumer = null;
            }
        }
    }

    private String where() {
        return lookback == null ? "the beginning" : "the last " + lookback;
    }

    /** Assigns every partition of the view's topics, positioned at the lookback. */
    private void assign(KafkaConsumer<byte[], byte[]> c) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : LiveView.topics()) {
            List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(10));
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist");
            }
            for (PartitionInfo p : infos) {
                partitions.add(new TopicPartition(p.topic(), p.partition()));
            }
        }
        c.assign(partitions);
        if (lookback == null) {
            c.seekToBeginning(partitions);
            return;
        }
        long from = clock.millis() - lookback.toMillis();
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(tp -> query.put(tp, from));
        Map<TopicPartition, OffsetAndTimestamp> found =
                c.offsetsForTimes(query, Duration.ofSeconds(10));
        List<TopicPartition> toEnd = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            OffsetAndTimestamp o = found.get(tp);
            if (o == null) {
                toEnd.add(tp); // nothing that recent: only what comes next
            } else {
                c.seek(tp, o.offset());
            }
        }
        if (!toEnd.isEmpty()) {
            c.seekToEnd(toEnd);
        }
    }

    private void sleepBeforeRetry() {
        long end = System.nanoTime() + RETRY.toNanos();
        while (running.get() && System.nanoTime() < end) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        KafkaConsumer<byte[], byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        thread.join(Duration.ofSeconds(10).toMillis());
    }
}
