package org.bloomstream.ingest.feed;

import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.bloomstream.schemas.Topic;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.bloomstream.schemas.kafka.KafkaSecurity;

/**
 * The producer behind the live feeds (watch folder, HTTP): records keyed by specimen, each send a
 * future that completes when the broker has acknowledged it (acks=all, idempotent, see {@link
 * ClientSettings#producer}), so a feed records progress or answers a scanner only for what is
 * durably in Kafka.
 *
 * <p>It counts the bytes it has handed to the producer and not yet seen acknowledged. {@link
 * #trySend} refuses a record that would take that count over the budget, which is set below the
 * producer's {@code buffer.memory}: the HTTP feed answers 429 instead of letting {@code send()}
 * block a request thread on a full buffer.
 *
 * <p>A record larger than the producer's {@code max.request.size} or the topic's {@code
 * max.message.bytes} fails its future with a {@link TooLargeException} naming the crop and its
 * size, never silently.
 */
public final class CropSender implements AutoCloseable {
    /** A record the producer or broker refused for its size. */
    public static final class TooLargeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooLargeException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Producer<byte[], byte[]> producer;
    private final long maxInFlightBytes;
    private final AtomicLong inFlight = new AtomicLong();

    public CropSender(Producer<byte[], byte[]> producer, long maxInFlightBytes) {
        this.producer = Objects.requireNonNull(producer);
        if (maxInFlightBytes <= 0) {
            throw new IllegalArgumentException("maxInFlightBytes must be positive");
        }
        this.maxInFlightBytes = maxInFlightBytes;
    }

    /**
     * A Kafka producer whose buffer holds the in-flight budget plus one largest record, so that a
     * send within the budget never blocks on buffer space.
     */
    public static CropSender connect(String bootstrapServers, long maxInFlightBytes) {
        return connect(bootstrapServers, maxInFlightBytes, KafkaSecurity.NONE);
    }

    /** {@link #connect(String, long)} with TLS and SASL. */
    public static CropSender connect(
            String bootstrapServers, long maxInFlightBytes, KafkaSecurity security) {
        Properties p = ClientSettings.producer(bootstrapServers, security);
        p.put(
                ProducerConfig.BUFFER_MEMORY_CONFIG,
                maxInFlightBytes + ClientSettings.MAX_RECORD_BYTES);
        return new CropSender(new KafkaProducer<>(p), maxInFlightBytes);
    }

    public CompletableFuture<RecordMetadata> crop(CellCrop crop) {
        return send(
                Topics.CELLS_RAW,
                crop.getSpecimenId(),
                Topics.CELLS_RAW.serializeValue(crop),
                "crop " + crop.getCellId());
    }

    public CompletableFuture<RecordMetadata> scanEvent(ScanEvent event) {
        return send(
                Topics.SCAN_EVENTS,
                event.getSpecimenId(),
                Topics.SCAN_EVENTS.serializeValue(event),
                event.getType() + " event of scan " + event.getScanId());
    }

    public CompletableFuture<RecordMetadata> deadLetter(DeadLetter dead) {
        return send(
                Topics.CELLS_DEAD,
                dead.getSpecimenId() != null ? dead.getSpecimenId() : "unknown",
                Topics.CELLS_DEAD.serializeValue(dead),
                "dead letter for " + dead.getCellId());
    }

    /** Sends whatever the in-flight count is. */
    public CompletableFuture<RecordMetadata> send(
            Topic<String, ?> topic, String key, byte[] value, String what) {
        inFlight.addAndGet(value.length);
        return doSend(topic, key, value, what);
    }

    /**
     * Sends only if the bytes in flight stay within the budget; returns null when they would not
     * (the producer buffer is, for our purposes, full).
     */
    public CompletableFuture<RecordMetadata> trySend(
            Topic<String, ?> topic, String key, byte[] value, String what) {
        if (!tryReserve(value.length)) {
            return null;
        }
        return doSend(topic, key, value, what);
    }

    /** Reserves room for {@code bytes} that the caller will send with {@link #sendReserved}. */
    public boolean tryReserve(long bytes) {
        while (true) {
            long now = inFlight.get();
            // one record alone always fits, or a crop bigger than the budget could never be sent
            if (now > 0 && now + bytes > maxInFlightBytes) {
                return false;
            }
            if (inFlight.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Sends bytes already reserved with {@link #tryReserve}. */
    public CompletableFuture<RecordMetadata> sendReserved(
            Topic<String, ?> topic, String key, byte[] value, String what) {
        return doSend(topic, key, value, what);
    }

    /** Gives back a reservation that will not be sent. */
    public void release(long bytes) {
        inFlight.addAndGet(-bytes);
    }

    private CompletableFuture<RecordMetadata> doSend(
            Topic<String, ?> topic, String key, byte[] value, String what) {
        CompletableFuture<RecordMetadata> done = new CompletableFuture<>();
        try {
            producer.send(
                    new ProducerRecord<>(topic.name(), topic.serializeKey(key), value),
                    (md, ex) -> {
                        inFlight.addAndGet(-value.length);
                        if (ex == null) {
                            done.complete(md);
                        } else {
                            done.completeExceptionally(explain(ex, topic, value, what));
                        }
                    });
        } catch (RuntimeException e) {
            // send() throws for what fails before the record is queued (serialization, a closed
            // producer, metadata timeout); the callback is not called then.
            inFlight.addAndGet(-value.length);
            done.completeExceptionally(explain(e, topic, value, what));
        }
        return done;
    }

    public static Throwable explain(
            Throwable ex, Topic<String, ?> topic, byte[] value, String what) {
        if (ex instanceof RecordTooLargeException) {
            return new TooLargeException(
                    what
                            + " is "
                            + value.length
                            + " bytes, more than "
                            + topic.name()
                            + " accepts (the topic's max.message.bytes or the producer's"
                            + " max.request.size of "
                            + ClientSettings.MAX_RECORD_BYTES
                            + " bytes): "
                            + ex.getMessage(),
                    ex);
        }
        return ex;
    }

    /** Bytes handed to the producer and not yet acknowledged or failed. */
    public long inFlightBytes() {
        return inFlight.get();
    }

    public long maxInFlightBytes() {
        return maxInFlightBytes;
    }

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
    }
}
