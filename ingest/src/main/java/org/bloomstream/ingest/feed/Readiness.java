package org.bloomstream.ingest.feed;

/**
 * Whether a feed can take crops now: readiness, as against liveness. A feed that cannot reach Kafka
 * is alive but not ready; its {@code /readyz} answers 503 and it refuses uploads at once instead of
 * holding them for the producer's delivery timeout.
 */
@FunctionalInterface
public interface Readiness {
    /** Null when ready, else why not (for the client; no ids, no class names). */
    String notReady();

    /** Always ready: a feed whose sender needs no broker (tests with a mock producer). */
    Readiness ALWAYS = () -> null;
}
