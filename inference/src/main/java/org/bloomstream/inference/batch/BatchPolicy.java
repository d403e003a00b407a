package org.bloomstream.inference.batch;

import java.io.Serializable;
import java.time.Duration;

/**
 * When the micro-batcher flushes: at {@code maxBatch} crops, or when the oldest buffered crop has
 * waited {@code maxDelay}, whichever comes first (and always before a checkpoint barrier).
 *
 * <p>Larger batches raise model throughput until the accelerator saturates; the delay bounds what a
 * slow trickle of crops (the end of a scan) costs in latency.
 *
 * <p>{@code maxInFlight} is how many flushed batches may be unfinished at once per subtask: 1 runs
 * each batch on the operator's thread before taking the next crop (the behaviour before batches in
 * flight, and the default: on a CPU host the model already uses the cores the operator's thread
 * would pack on, and a checkpoint waits for at most one batch). 2 or more run batches on worker
 * threads, so the next batch is packed, and on a GPU copied, while the current one computes; a
 * checkpoint then waits for up to that many batches.
 */
public record BatchPolicy(int maxBatch, Duration maxDelay, int maxInFlight)
        implements Serializable {
    public static final BatchPolicy DEFAULT = new BatchPolicy(16, Duration.ofMillis(50));

    /** One batch at a time. */
    public BatchPolicy(int maxBatch, Duration maxDelay) {
        this(maxBatch, maxDelay, 1);
    }

    public BatchPolicy withInFlight(int batches) {
        return new BatchPolicy(maxBatch, maxDelay, batches);
    }

    public BatchPolicy {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be >= 1, was " + maxInFlight);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be >= 1, was " + maxBatch);
        }
        if (maxDelay.isNegative()) {
            throw new IllegalArgumentException("maxDelay must not be negative");
        }
    }
}
