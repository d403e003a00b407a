package org.bloomstream.job;

import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;

/**
 * Counts the job's dead letters by reason ({@code deadLetters}, labelled {@code reason}) on their
 * way to {@code cells.dead}. The gate's dead letters are counted by the ingest service.
 */
public class DeadLetterMetrics extends RichMapFunction<DeadLetter, DeadLetter> {
    private static final long serialVersionUID = 1L;
    private transient Map<DeadLetterReason, Counter> counters;

    @Override
    public void open(OpenContext openContext) {
        counters = new EnumMap<>(DeadLetterReason.class);
        MetricGroup g = getRuntimeContext().getMetricGroup();
        // All reasons up front, so a dashboard shows zeros rather than missing series.
        for (DeadLetterReason r : DeadLetterReason.values()) {
            counters.put(r, g.addGroup("reason", r.name()).counter("deadLetters"));
        }
    }

    @Override
    public DeadLetter map(DeadLetter dead) {
        counters.get(dead.getReason()).inc();
        return dead;
    }
}
