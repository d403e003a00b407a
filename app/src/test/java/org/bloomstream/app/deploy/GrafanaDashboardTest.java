package org.bloomstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard (docker/grafana/dashboards/bloomstream.json, and the same JSON in the k8s
 * ConfigMap): its structure, its datasource wiring, and that its queries use exactly the metric
 * names agreed with the metrics implementation (the contract below).
 */
class GrafanaDashboardTest {
    static final String DASHBOARD = "docker/grafana/dashboards/bloomstream.json";
    private static final JsonNode DASH = DeployFiles.json(DASHBOARD);

    private static final String OP = "flink_taskmanager_job_task_operator_";

    /**
     * The metric names the dashboard reads, as Flink's PrometheusReporter and the ingest service's
     * Micrometer registry expose them. Flink: operator metrics become {@code
     * flink_taskmanager_job_task_operator_<name>}; a user group added with {@code addGroup(key,
     * value)} puts {@code key} into the name and {@code value} into a label of that name
     * (deadLetters by reason, alerts by subtype, executionProviderInfo by provider); histograms
     * become summaries with a {@code quantile} label; counters and meters are gauges.
     */
    static final Set<String> CONTRACT =
            Set.of(
                    // decode-resize
                    OP + "cropsDecoded",
                    OP + "cropsRejected",
                    // micro-batch-embed
                    OP + "cellsEmbedded",
                    OP + "batches",
                    OP + "cropsPerSecond",
                    OP + "batchSize",
                    OP + "queueMicros",
                    OP + "computeMicros",
                    OP + "provider_executionProviderInfo",
                    // cell-type
                    OP + "cellsTyped",
                    OP + "unknownCells",
                    OP + "typeConfidence",
                    OP + "endToEndLatencyMs",
                    // scanner-drift (a group scanner=<id>, so a label per scanner)
                    OP + "scanner_driftMmd2",
                    OP + "scanner_driftAlert",
                    OP + "scanner_driftSimilarityDrop",
                    OP + "scanner_driftUnknownRate",
                    // dead letters (job)
                    OP + "reason_deadLetters",
                    // specimen-mil
                    OP + "openSpecimens",
                    OP + "subtype_alerts",
                    OP + "reports",
                    OP + "lateCells",
                    // Flink's Kafka source and job metrics
                    OP + "KafkaSourceReader_KafkaConsumer_records_lag_max",
                    OP + "pendingRecords",
                    "flink_jobmanager_job_numRestarts",
                    "flink_jobmanager_job_lastCheckpointDuration",
                    // ingest (Micrometer)
                    "bloomstream_ingest_crops_total");

    private static final Pattern METRIC =
            Pattern.compile("\\b(flink_[A-Za-z0-9_]+|bloomstream_[A-Za-z0-9_]+)");

    static JsonNode variable(JsonNode dashboard, String name) {
        for (JsonNode v : dashboard.path("templating").path("list")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        throw new AssertionError("no dashboard variable " + name);
    }

    private static List<JsonNode> panels() {
        List<JsonNode> out = new ArrayList<>();
        DASH.path("panels").forEach(out::add);
        return out;
    }

    private static List<JsonNode> dataPanels() {
        return panels().stream().filter(p -> !p.path("type").asText().equals("row")).toList();
    }

    private static List<String> expressions() {
        List<String> out = new ArrayList<>();
        dataPanels().forEach(p -> p.path("targets").forEach(t -> out.add(t.path("expr").asText())));
        return out;
    }

    @Test
    void isAGrafana10Or11DashboardWithAStableUid() {
        assertThat(DASH.path("uid").asText()).isEqualTo("bloomstream");
        assertThat(DASH.path("schemaVersion").asInt()).isBetween(36, 41);
        List<Integer> ids = panels().stream().map(p -> p.path("id").asInt()).toList();
        assertThat(ids).doesNotHaveDuplicates().doesNotContain(0);
    }

    @Test
    void panelsFitTheGridWithoutOverlapping() {
        List<int[]> boxes = new ArrayList<>();
        for (JsonNode p : panels()) {
            JsonNode g = p.path("gridPos");
            int x = g.path("x").asInt(), y = g.path("y").asInt();
            int w = g.path("w").asInt(), h = g.path("h").asInt();
            assertThat(w).as(p.path("title").asText()).isPositive();
            assertThat(h).isPositive();
            assertThat(x + w).as(p.path("title").asText()).isLessThanOrEqualTo(24);
            for (int[] b : boxes) {
                boolean overlap =
                        x < b[0] + b[2] && b[0] < x + w && y < b[1] + b[3] && b[1] < y + h;
                assertThat(overlap)
                        .as("%s overlaps another panel", p.path("title").asText())
                        .isFalse();
            }
            boxes.add(new int[] {x, y, w, h});
        }
    }

    @Test
    void everyQueryGoesThroughTheDatasourceVariable() {
        JsonNode ds = variable(DASH, "datasource");
        assertThat(ds.path("type").asText()).isEqualTo("datasource");
        assertThat(ds.path("query").asText()).isEqualTo("prometheus");
        for (JsonNode p : dataPanels()) {
            assertThat(p.path("datasource").path("uid").asText())
                    .as(p.path("title").asText())
                    .isEqualTo("${datasource}");
            assertThat(p.path("targets").size()).as(p.path("title").asText()).isPositive();
            for (JsonNode t : p.path("targets")) {
                assertThat(t.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
                assertThat(t.path("expr").asText()).isNotBlank();
            }
        }
        assertThat(variable(DASH, "job_name").path("datasource").path("uid").asText())
                .isEqualTo("${datasource}");
    }

    @Test
    void queriesUseOnlyContractMetricsAndCoverAllOfThem() {
        Set<String> used = new TreeSet<>();
        for (String expr : expressions()) {
            Matcher m = METRIC.matcher(expr);
            while (m.find()) {
                used.add(m.group(1));
            }
        }
        Matcher m = METRIC.matcher(variable(DASH, "job_name").path("definition").asText());
        while (m.find()) {
            used.add(m.group(1));
        }
        assertThat(used).as("metrics outside the contract").isSubsetOf(CONTRACT);
        assertThat(used).as("contract metrics no panel shows").containsAll(CONTRACT);
    }

    @Test
    void quantileQueriesAskForQuantilesFlinkExports() {
        Set<String> exported = Set.of("0.5", "0.75", "0.95", "0.98", "0.99", "0.999");
        Pattern q = Pattern.compile("quantile=~?\"([0-9.|]+)\"");
        for (String expr : expressions()) {
            Matcher m = q.matcher(expr);
            while (m.find()) {
                assertThat(Set.of(m.group(1).split("\\|"))).as(expr).isSubsetOf(exported);
            }
        }
    }

    @Test
    void coversWhatOperationsNeedsToSee() {
        Set<String> titles = new HashSet<>();
        dataPanels().forEach(p -> titles.add(p.path("title").asText().toLowerCase()));
        for (String topic :
                List.of(
                        "per second",
                        "latency",
                        "batch",
                        "lag",
                        "dead letters",
                        "alerts",
                        "open specimens",
                        "execution provider",
                        "queue vs compute",
                        "drift")) {
            assertThat(titles).as("a panel about %s", topic).anyMatch(t -> t.contains(topic));
        }
    }

    @Test
    void theKubernetesConfigMapCarriesExactlyThisDashboard() {
        JsonNode cm = DeployFiles.yaml("k8s/monitoring/grafana-dashboard.yaml");
        assertThat(cm.path("kind").asText()).isEqualTo("ConfigMap");
        assertThat(cm.path("metadata").path("labels").path("grafana_dashboard").asText())
                .isEqualTo("1");
        String embedded = cm.path("data").path("bloomstream.json").asText();
        assertThat(embedded)
                .as(
                        "k8s/monitoring/grafana-dashboard.yaml is stale: run"
                                + " k8s/monitoring/render-grafana-dashboard.sh")
                .isEqualTo(DeployFiles.text(DASHBOARD));
    }
}
