package org.bloomstream.inference.batch;

import java.io.Serializable;
import java.time.Duration;

/**
 * When the micro-batcher flushes: at {@code maxBatch} crops, or when the oldest buffered crop has
 * waited {@code maxDelay}, whichever comes first (and always before a checkpoint barrier).
 *
 * <p>Larger batches raise model throughput until the accelerator saturates; the delay bounds what a
 * slow trickle of crops (the end of a scan) costs in latency.
 */
public record BatchPolicy(int maxBatch, Duration maxDelay) implements Serializable {
    public static final BatchPolicy DEFAULT = new BatchPolicy(16, Duration.ofMillis(50));

    public BatchPolicy {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be >= 1, was " + maxBatch);
        }
        if (maxDelay.isNegative()) {
            throw new IllegalArgumentException("maxDelay must not be negative");
        }
    }
}
