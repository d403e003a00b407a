package org.bloomstream.ingest.cli;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The lifetime of one ingest command: what it started, closed in reverse order, and Ctrl-C.
 *
 * <p>On Ctrl-C the shutdown hook only clears {@link #running()} and then waits (up to 15 s) for
 * {@link #close()}, so the command's loop ends, every resource closes in order (servers before the
 * producer they feed, the gate last) and only then does the JVM go. Without the wait the JVM would
 * exit while the producer still held unacknowledged crops.
 */
public final class ServiceScope implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final long t0 = System.nanoTime();
    private final Thread hook;

    public ServiceScope() {
        hook =
                new Thread(
                        () -> {
                            running.set(false);
                            try {
                                closed.await(15, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "ingest-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Closes {@code resource} when the scope closes, before everything added earlier. */
    public <T extends AutoCloseable> T add(T resource) {
        if (resource != null) {
            resources.push(resource);
        }
        return resource;
    }

    /** The gate, if one was started, closed with a bounded wait for its threads. */
    public KafkaStreams add(KafkaStreams gate) {
        if (gate != null) {
            resources.push(() -> gate.close(Duration.ofSeconds(10)));
        }
        return gate;
    }

    /** False once Ctrl-C (or any JVM shutdown) has begun. */
    public boolean running() {
        return running.get();
    }

    /** Sleeps for {@code d}, or less when shutdown begins meanwhile. */
    public void sleep(Duration d) throws InterruptedException {
        long end = System.nanoTime() + d.toNanos();
        while (running.get() && System.nanoTime() < end) {
            Thread.sleep(Math.min(100, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        }
    }

    /** Seconds since the scope opened, as the progress lines print them. */
    public String elapsed() {
        return String.format(Locale.ROOT, "[%7.1fs]", (System.nanoTime() - t0) / 1e9);
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        try {
            while (!resources.isEmpty()) {
                try {
                    resources.pop().close();
                } catch (Exception e) {
                    if (first == null) {
                        first = e;
                    } else {
                        first.addSuppressed(e);
                    }
                }
            }
        } finally {
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
