package org.bloomstream.bench;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.bloomstream.devkit.embedded.EmbeddedRuntime;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.kafka.ClientSettings;

/**
 * Alert latency, as a lab sees it on the topics: from the scanner's scan-finished event to the
 * final report, and from the cell that made a subtype call stable to the alert about it. Synthetic
 * specimens (two of each subtype, two controls) are scanned one after another at a steady rate;
 * every emission's send time is recorded, and the consumer (read_committed) records when alerts and
 * reports arrive.
 */
final class AlertLatencyBench {
    private final Path home;
    private final Path workDir;
    private final PrintStream out;

    AlertLatencyBench(Path home, Path workDir, PrintStream out) {
        this.home = home;
        this.workDir = workDir;
        this.out = out;
    }

    Map<String, Object> run(int specimens, int cells, double rate, long checkpointMs)
            throws Exception {
        SyntheticScanner scanner =
                new SyntheticScanner(
                        new SyntheticScanner.Config(
                                77, specimens, cells, 128, 0.0, 1, Instant.now(), 10));
        List<Emission> feed = scanner.toList();
        Map<String, Long> finishedSent = new HashMap<>();
        Map<String, List<Long>> cropSent = new HashMap<>();
        Map<String, Long> reportSeen = new ConcurrentHashMap<>();
        Map<String, Long> alertTimes = new ConcurrentHashMap<>();
        int cores = Runtime.getRuntime().availableProcessors();
        try (EmbeddedRuntime rt =
                BenchKit.start(
                        home,
                        workDir.resolve("alerts"),
                        b ->
                                b.parallelism(2)
                                        .decodeParallelism(2)
                                        .checkpointInterval(Duration.ofMillis(checkpointMs))
                                        .execution(ExecutionConfig.cpu(Math.max(1, cores / 2))),
                        0)) {
            Map<String, AmlAlert> alerts = new ConcurrentHashMap<>();
            TopicTail.Handler onOutput =
                    (r, now) -> {
                        if (r.topic().equals(Topics.ALERTS_AML.name())) {
                            AmlAlert a = Topics.ALERTS_AML.deserializeValue(r.value());
                            alerts.putIfAbsent(a.getAlertId(), a);
                            alertTimes.putIfAbsent(a.getAlertId(), now);
                        } else {
                            SpecimenReport s = Topics.SPECIMEN_REPORTS.deserializeValue(r.value());
                            reportSeen.putIfAbsent(s.getSpecimenId(), now);
                        }
                    };
            try (TopicTail tail =
                    TopicTail.start(
                            rt.bootstrapServers(),
                            "alert-latency",
                            List.of(Topics.ALERTS_AML.name(), Topics.SPECIMEN_REPORTS.name()),
                            onOutput)) {
                try (KafkaProducer<byte[], byte[]> producer =
                        new KafkaProducer<>(ClientSettings.producer(rt.bootstrapServers()))) {
                    long start = System.nanoTime();
                    long n = 0;
                    for (Emission e : feed) {
                        long due = start + (long) (n++ / rate * 1e9);
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                        byte[] key = e.specimenId().getBytes(StandardCharsets.UTF_8);
                        switch (e.type()) {
                            case SCAN_STARTED ->
                                    producer.send(
                                            new ProducerRecord<>(
                                                    Topics.SCAN_EVENTS.name(),
                                                    key,
                                                    Topics.SCAN_EVENTS.serializeValue(
                                                            e.scanEvent())));
                            case SCAN_FINISHED -> {
                                producer.send(
                                        new ProducerRecord<>(
                                                Topics.SCAN_EVENTS.name(),
                                                key,
                                                Topics.SCAN_EVENTS.serializeValue(e.scanEvent())));
                                producer.flush();
                                finishedSent.put(e.specimenId(), System.currentTimeMillis());
                            }
                            default -> {
                                producer.send(
                                        new ProducerRecord<>(
                                                Topics.CELLS_RAW.name(),
                                                key,
                                                Topics.CELLS_RAW.serializeValue(e.crop())));
                                cropSent.computeIfAbsent(e.specimenId(), k -> new ArrayList<>())
                                        .add(System.currentTimeMillis());
                            }
                        }
                    }
                }
                long deadline = System.currentTimeMillis() + 120_000;
                while (reportSeen.size() < specimens && System.currentTimeMillis() < deadline) {
                    rt.checkJobAlive();
                    Thread.sleep(100);
                }
            }

            long[] reportLat =
                    finishedSent.entrySet().stream()
                            .filter(e -> reportSeen.containsKey(e.getKey()))
                            .mapToLong(e -> reportSeen.get(e.getKey()) - e.getValue())
                            .sorted()
                            .toArray();
            long[] alertLat =
                    alerts.values().stream()
                            .mapToLong(
                                    a -> {
                                        List<Long> sent = cropSent.get(a.getSpecimenId());
                                        int k = (int) Math.min(sent.size(), a.getCellCount()) - 1;
                                        return alertTimes.get(a.getAlertId())
                                                - sent.get(Math.max(0, k));
                                    })
                            .sorted()
                            .toArray();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("specimens", specimens);
            m.put("cells_per_specimen", cells);
            m.put("crops_per_second", rate);
            m.put("checkpoint_interval_ms", checkpointMs);
            m.put("reports", reportLat.length);
            m.put("report_latency_p50_ms", BenchKit.percentile(reportLat, 50));
            m.put(
                    "report_latency_max_ms",
                    reportLat.length == 0 ? -1 : reportLat[reportLat.length - 1]);
            m.put("alerts", alertLat.length);
            m.put("alert_latency_p50_ms", BenchKit.percentile(alertLat, 50));
            m.put(
                    "alert_latency_max_ms",
                    alertLat.length == 0 ? -1 : alertLat[alertLat.length - 1]);
            out.printf(
                    Locale.ROOT,
                    "  scan-finished -> report: p50 %d ms, max %d ms (%d reports); threshold cell -> alert: p50 %d ms, max %d ms (%d alerts)%n",
                    m.get("report_latency_p50_ms"),
                    m.get("report_latency_max_ms"),
                    reportLat.length,
                    m.get("alert_latency_p50_ms"),
                    m.get("alert_latency_max_ms"),
                    alertLat.length);
            return m;
        }
    }
}
