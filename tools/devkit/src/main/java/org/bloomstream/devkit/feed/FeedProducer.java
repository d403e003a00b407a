package org.bloomstream.devkit.feed;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.bloomstream.ingest.feed.CropSender;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.bloomstream.schemas.kafka.KafkaSecurity;

/**
 * Sends a feed's emissions to Kafka: crops (good or broken) to {@code cells.raw}, scan events to
 * {@code scans.events}, keyed by specimen so each specimen's records stay in order.
 *
 * <p>Paced at a rate in emissions or crops per second (0 = as fast as possible), with the pace
 * computed from the start time rather than per record, so a slow send is caught up instead of lost.
 * Any send failure stops the feed with the broker's error; a crop larger than the producer's limit
 * is reported with its cell id instead of disappearing.
 */
public final class FeedProducer implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final AtomicLong acked = new AtomicLong();
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    public FeedProducer(String bootstrapServers) {
        this(bootstrapServers, KafkaSecurity.NONE);
    }

    /** A feed producer that encrypts and authenticates as {@code security} says. */
    public FeedProducer(String bootstrapServers, KafkaSecurity security) {
        this.producer = new KafkaProducer<>(ClientSettings.producer(bootstrapServers, security));
    }

    /** What was sent. */
    public record Sent(long crops, long badCrops, long scanEvents) {
        public long cropsIn() {
            return crops + badCrops;
        }
    }

    /** What a rate counts. */
    public enum Pace {
        /** Every emission, scan events included (the synthetic scanner room). */
        EMISSIONS,
        /** Crops only; scan events go out unpaced (replay at N crops/s). */
        CROPS
    }

    /**
     * Sends everything and waits for the broker to acknowledge it.
     *
     * @param perSecond emissions per second, 0 for unpaced
     * @param progress called with the number of crops handed to the producer so far
     */
    public Sent send(Iterable<Emission> feed, double perSecond, LongConsumer progress)
            throws Exception {
        return send(feed, perSecond, Pace.EMISSIONS, progress);
    }

    /**
     * Sends everything and waits for the broker to acknowledge it.
     *
     * @param perSecond emissions or crops per second (see {@code pace}), 0 for unpaced
     * @param progress called with the number of crops handed to the producer so far
     */
    public Sent send(Iterable<Emission> feed, double perSecond, Pace pace, LongConsumer progress)
            throws Exception {
        long crops = 0;
        long bad = 0;
        long events = 0;
        long start = System.nanoTime();
        long n = 0;
        Iterator<Emission> it = feed.iterator();
        while (it.hasNext()) {
            Exception f = failure.get();
            if (f != null) {
                throw f;
            }
            Emission e = it.next();
            boolean paced =
                    pace == Pace.EMISSIONS
                            || e.type() == Emission.Type.CROP
                            || e.type() == Emission.Type.BAD_CROP;
            if (perSecond > 0 && paced) {
                long due = start + (long) (n / perSecond * 1e9);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
            byte[] key = e.specimenId().getBytes(StandardCharsets.UTF_8);
            switch (e.type()) {
                case SCAN_STARTED, SCAN_FINISHED -> {
                    send(
                            Topics.SCAN_EVENTS.name(),
                            key,
                            Topics.SCAN_EVENTS.serializeValue(e.scanEvent()),
                            null);
                    events++;
                }
                case CROP -> {
                    send(
                            Topics.CELLS_RAW.name(),
                            key,
                            Topics.CELLS_RAW.serializeValue(e.crop()),
                            e.cellId());
                    crops++;
                }
                case BAD_CROP -> {
                    byte[] value =
                            e.rawValue() != null
                                    ? e.rawValue()
                                    : Topics.CELLS_RAW.serializeValue(e.crop());
                    send(Topics.CELLS_RAW.name(), key, value, e.cellId());
                    bad++;
                }
            }
            if (paced) {
                n++;
            }
            if (progress != null) {
                progress.accept(crops + bad);
            }
        }
        producer.flush();
        Exception f = failure.get();
        if (f != null) {
            throw f;
        }
        return new Sent(crops, bad, events);
    }

    private void send(String topic, byte[] key, byte[] value, String cellId) {
        producer.send(
                new ProducerRecord<>(topic, key, value),
                (md, ex) -> {
                    if (ex == null) {
                        acked.incrementAndGet();
                    } else if (ex instanceof RecordTooLargeException) {
                        failure.compareAndSet(
                                null,
                                new IllegalArgumentException(
                                        CropSender.explain(
                                                        ex,
                                                        Topics.byName(topic),
                                                        value,
                                                        "crop " + cellId)
                                                .getMessage(),
                                        ex));
                    } else {
                        failure.compareAndSet(null, ex);
                    }
                });
    }

    public long acknowledged() {
        return acked.get();
    }

    @Override
    public void close() {
        producer.close();
    }
}
