package org.bloomstream.ingest.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.apache.kafka.streams.KafkaStreams;
import org.bloomstream.schemas.avro.DeadLetterReason;

/**
 * The metrics of one ingest process (feed, gate or both) and their Prometheus text.
 *
 * <p>The series, as Prometheus sees them:
 *
 * <ul>
 *   <li>{@code bloomstream_ingest_crops_total{stage, outcome}}: crops handled.
 *       <ul>
 *         <li>{@code stage="http"}: {@code sent} (acknowledged by Kafka, answered 202), {@code
 *             throttled} (429), {@code too_large} (Kafka refused the record), {@code failed}
 *             (another Kafka error, 503);
 *         <li>{@code stage="watch"}: {@code sent}, {@code dead_lettered} (a file over the size
 *             limit, dead-lettered by the adapter);
 *         <li>{@code stage="gate"}: {@code accepted}, or the dead-letter reason in lower case
 *             ({@code duplicate_cell}, {@code undecodable_image}, ...).
 *       </ul>
 *       A feed and the gate in one process both count the same crop, once per stage: sum by {@code
 *       stage}, never across stages.
 *   <li>{@code bloomstream_ingest_scan_events_total{stage, type}}: scan-started and -finished
 *       events the feeds produced.
 *   <li>{@code bloomstream_ingest_http_requests_seconds{endpoint, status}}: HTTP feed requests,
 *       from arrival to answer (for {@code /v1/crops}, that includes the broker's acknowledgement).
 *   <li>{@code bloomstream_ingest_gate_validation_seconds}: the gate's per-record validation
 *       (schema, ids, dedupe lookup, image header and structure).
 *   <li>{@code bloomstream_ingest_in_flight_bytes}: bytes handed to the producer and not yet
 *       acknowledged (the HTTP feed answers 429 above its budget).
 *   <li>the gate's Kafka Streams metrics ({@code kafka_stream_*}) and the JVM's ({@code jvm_*},
 *       {@code process_*}, {@code system_*}).
 * </ul>
 *
 * Counts are in-process and start at zero with the process, as Prometheus counters do. The gate's
 * counts are taken when a record is processed: after a crash, the records of the uncommitted
 * transaction are processed and counted again, although exactly-once keeps them out of the topics
 * twice.
 */
public final class IngestMetrics implements AutoCloseable {
    static final String CROPS = "bloomstream.ingest.crops";
    static final String SCAN_EVENTS = "bloomstream.ingest.scan.events";
    static final String HTTP_REQUESTS = "bloomstream.ingest.http.requests";
    static final String GATE_VALIDATION = "bloomstream.ingest.gate.validation";
    static final String IN_FLIGHT = "bloomstream.ingest.in.flight.bytes";
    static final String BODIES_READING = "bloomstream.ingest.http.bodies.reading";

    private final PrometheusMeterRegistry registry;
    private final List<AutoCloseable> binders = new ArrayList<>();
    private volatile Gate gate;

    /** The gate's meters, registered with the first gate so a feed-only process shows none. */
    private record Gate(Counter accepted, Counter[] rejected, Timer validation) {}

    private IngestMetrics(PrometheusMeterRegistry registry, boolean jvm) {
        this.registry = registry;
        if (jvm) {
            new JvmMemoryMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            JvmGcMetrics gc = new JvmGcMetrics();
            gc.bindTo(registry);
            binders.add(gc);
        }
    }

    /**
     * Registers the gate's meters (idempotent): every outcome from the start, at zero, so that
     * rates and alerts work before the first of a kind.
     */
    public synchronized void registerGate() {
        if (gate != null) {
            return;
        }
        DeadLetterReason[] reasons = DeadLetterReason.values();
        Counter[] rejected = new Counter[reasons.length];
        for (DeadLetterReason r : reasons) {
            rejected[r.ordinal()] = crops("gate", r.name().toLowerCase(Locale.ROOT));
        }
        Timer validation =
                Timer.builder(GATE_VALIDATION)
                        .description("the gate's validation of one record")
                        .serviceLevelObjectives(
                                Duration.ofNanos(100_000),
                                Duration.ofNanos(250_000),
                                Duration.ofMillis(1),
                                Duration.ofMillis(5),
                                Duration.ofMillis(25))
                        .register(registry);
        gate = new Gate(crops("gate", "accepted"), rejected, validation);
    }

    /** A registry with the JVM's metrics, for a service. */
    public static IngestMetrics create() {
        return new IngestMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), true);
    }

    /** Without the JVM's metrics: for tests and for components whose caller wants none. */
    public static IngestMetrics bare() {
        return new IngestMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), false);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The counter of crops with this outcome at this stage (created on first use). */
    public Counter crops(String stage, String outcome) {
        return Counter.builder(CROPS)
                .description("crops handled by the ingest service, by stage and outcome")
                .tag("stage", stage)
                .tag("outcome", outcome)
                .register(registry);
    }

    public Counter scanEvents(String stage, String type) {
        return Counter.builder(SCAN_EVENTS)
                .description("scan events produced by the feeds")
                .tag("stage", stage)
                .tag("type", type.toLowerCase(Locale.ROOT))
                .register(registry);
    }

    /** Records one HTTP request of the feed. */
    public void httpRequest(String endpoint, int status, long nanos) {
        Timer.builder(HTTP_REQUESTS)
                .description("HTTP feed requests, arrival to answer")
                .tag("endpoint", endpoint)
                .tag("status", Integer.toString(status))
                .register(registry)
                .record(Duration.ofNanos(nanos));
    }

    /** Counts one gate decision and its validation time. */
    public void gateDecision(DeadLetterReason rejected, long nanos) {
        Gate g = gate;
        if (g == null) {
            registerGate();
            g = gate;
        }
        (rejected == null ? g.accepted() : g.rejected()[rejected.ordinal()]).increment();
        g.validation().record(Duration.ofNanos(nanos));
    }

    /** Reports bytes in flight at the producer of {@code owner}. */
    public <T> void inFlightBytes(T owner, ToDoubleFunction<T> bytes) {
        Gauge.builder(IN_FLIGHT, owner, bytes)
                .description("bytes handed to the producer and not yet acknowledged")
                .baseUnit("bytes")
                .register(registry);
    }

    /** Uploads whose body is still arriving: many of them at once are slow or stalled clients. */
    public <T> void bodiesReading(T owner, ToDoubleFunction<T> count) {
        Gauge.builder(BODIES_READING, owner, count)
                .description("uploads whose body is still arriving (slow clients show here)")
                .register(registry);
    }

    /** Adds the gate's Kafka Streams client metrics. */
    public void bindGate(KafkaStreams streams) {
        KafkaStreamsMetrics m = new KafkaStreamsMetrics(streams);
        m.bindTo(registry);
        binders.add(m);
    }

    /** The Prometheus text exposition format (version 0.0.4). */
    public String scrape() {
        return registry.scrape();
    }

    /** The content type of {@link #scrape()}. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    @Override
    public void close() {
        for (AutoCloseable b : binders) {
            try {
                b.close();
            } catch (Exception e) {
                // closing metrics never fails a shutdown
            }
        }
        registry.close();
    }
}
