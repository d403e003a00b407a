package org.bloomstream.ingest.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.bloomstream.ingest.metrics.IngestMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ingest gate}: the gate on its own, with progress lines until Ctrl-C. */
@Command(
        name = "gate",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the ingest gate: cells.raw -> cells.accepted | cells.dead (Kafka "
                    + "Streams, exactly_once_v2, dedupe by cell id).",
            "",
            "Prints what it processed every few seconds until stopped with Ctrl-C."
        })
public final class GateCommand implements Callable<Integer> {
    @Mixin KafkaOptions kafka;
    @Mixin GateOptions gate;
    @Mixin MetricsOptions metricsOptions;
    @Mixin LiveOptions live;

    @Option(
            names = "--report-every-s",
            defaultValue = "10",
            description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
    int reportEvery;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        try (ServiceScope scope = new ServiceScope()) {
            IngestMetrics metrics = scope.add(IngestMetrics.create());
            KafkaStreams streams = scope.add(gate.start(kafka, out, metrics));
            scope.add(metricsOptions.startIfWanted(metrics, out));
            scope.add(live.startIfWanted(kafka, out));
            long last = -1;
            while (scope.running()) {
                long processed = processed(streams);
                if (processed != last) {
                    out.printf(
                            "%s gate %s | records processed %d%n",
                            scope.elapsed(), streams.state(), processed);
                    last = processed;
                }
                scope.sleep(Duration.ofSeconds(reportEvery));
            }
        }
        return 0;
    }

    /** Records the gate's stream threads have processed (sum of process-total). */
    private static long processed(KafkaStreams streams) {
        double total = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            if (e.getKey().name().equals("process-total")
                    && e.getKey().group().equals("stream-thread-metrics")) {
                Object v = e.getValue().metricValue();
                if (v instanceof Number n) {
                    total += n.doubleValue();
                }
            }
        }
        return (long) total;
    }
}
