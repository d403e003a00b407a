package org.bloomstream.devkit.embedded;

import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.bloomstream.ingest.metrics.PrometheusText;

/** Reads a Prometheus text endpoint on loopback into series (name{labels}) -> value. */
final class MetricsScrape {
    private MetricsScrape() {}

    static Map<String, Double> scrape(int port) throws Exception {
        return PrometheusText.scrape(port);
    }

    static Set<String> names(Map<String, Double> series) {
        return series.keySet().stream()
                .map(k -> k.contains("{") ? k.substring(0, k.indexOf('{')) : k)
                .collect(Collectors.toSet());
    }

    /** Sum over all label sets of {@code flink_taskmanager_job_task_operator_<metric>}. */
    static double sum(Map<String, Double> series, String metric) {
        String name = "flink_taskmanager_job_task_operator_" + metric;
        return series.entrySet().stream()
                .filter(e -> e.getKey().equals(name) || e.getKey().startsWith(name + "{"))
                .mapToDouble(Map.Entry::getValue)
                .sum();
    }

    /**
     * Sum over all label sets of the series named exactly {@code flink_..._<metric>}, any scope.
     */
    static double total(Map<String, Double> series, String metric) {
        return series.entrySet().stream()
                .filter(
                        e -> {
                            String name =
                                    e.getKey().contains("{")
                                            ? e.getKey().substring(0, e.getKey().indexOf('{'))
                                            : e.getKey();
                            return name.endsWith("_" + metric);
                        })
                .mapToDouble(Map.Entry::getValue)
                .sum();
    }
}
