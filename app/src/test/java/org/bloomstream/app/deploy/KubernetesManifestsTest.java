package org.bloomstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bloomstream.app.deploy.DeployFiles.path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every manifest in k8s/ against the vendored schemas in k8s/schemas (see SOURCE.md there): the
 * CRDs of Strimzi and the Flink Kubernetes Operator, and the Kubernetes and Prometheus Operator API
 * types, all strict (an unknown field is an error, as with kubeconform -strict). No cluster needed.
 */
class KubernetesManifestsTest {
    /** Files in k8s/ that are kustomize's configuration, not Kubernetes objects. */
    private static final Set<String> KUSTOMIZE =
            Set.of("kustomization.yaml", "kustomizeconfig.yaml");

    private static final Map<Path, JsonSchema> SCHEMAS = new HashMap<>();

    static List<Path> manifestFiles() {
        return DeployFiles.files("k8s", ".yaml").stream()
                .filter(p -> !p.startsWith(path("k8s/schemas")))
                .filter(p -> !KUSTOMIZE.contains(p.getFileName().toString()))
                .toList();
    }

    /** Every Kubernetes object in k8s/, with the file it comes from. */
    static Map<JsonNode, Path> objects() {
        Map<JsonNode, Path> out = new LinkedHashMap<>();
        for (Path f : manifestFiles()) {
            DeployFiles.yamlDocuments(f).forEach(d -> out.put(d, f));
        }
        return out;
    }

    /** k8s/schemas/<group|core>/<kind>_<version>.json for an object's apiVersion and kind. */
    static Path schemaFile(JsonNode doc) {
        String apiVersion = doc.path("apiVersion").asText();
        int slash = apiVersion.lastIndexOf('/');
        String group = slash < 0 ? "core" : apiVersion.substring(0, slash);
        String version = apiVersion.substring(slash + 1);
        String kind = doc.path("kind").asText().toLowerCase(java.util.Locale.ROOT);
        return path("k8s/schemas").resolve(group).resolve(kind + "_" + version + ".json");
    }

    static Set<String> problems(JsonNode doc) {
        Path file = schemaFile(doc);
        if (!file.toFile().isFile()) {
            return Set.of("no vendored schema " + path("k8s").relativize(file));
        }
        JsonSchema schema = SCHEMAS.computeIfAbsent(file, DeployFiles::schema);
        return DeployFiles.validate(schema, doc);
    }

    @ParameterizedTest
    @MethodSource("manifestFiles")
    void validatesAgainstTheVendoredSchemas(Path file) {
        List<JsonNode> docs = DeployFiles.yamlDocuments(file);
        assertThat(docs).as("%s has objects", file).isNotEmpty();
        Map<String, Set<String>> failures = new LinkedHashMap<>();
        for (JsonNode doc : docs) {
            Set<String> p = problems(doc);
            if (!p.isEmpty()) {
                failures.put(
                        doc.path("kind").asText()
                                + "/"
                                + doc.path("metadata").path("name").asText(),
                        p);
            }
        }
        assertThat(failures).as(path("k8s").relativize(file).toString()).isEmpty();
    }

    @Test
    void kustomizationListsEveryManifestAndNothingElse() {
        JsonNode k = DeployFiles.yaml("k8s/kustomization.yaml");
        Set<Path> listed = new TreeSet<>();
        k.path("resources").forEach(r -> listed.add(path("k8s").resolve(r.asText()).normalize()));
        assertThat(listed).containsExactlyInAnyOrderElementsOf(manifestFiles());
        assertThat(k.path("namespace").asText()).isEqualTo("bloomstream");
        DeployFiles.strings(k.path("configurations"))
                .forEach(c -> assertThat(path("k8s").resolve(c)).isRegularFile());
    }

    @Test
    void coversTheKindsTheDeploymentNeeds() {
        Set<String> kinds =
                objects().keySet().stream()
                        .map(d -> d.path("apiVersion").asText() + " " + d.path("kind").asText())
                        .collect(Collectors.toSet());
        assertThat(kinds)
                .contains(
                        "kafka.strimzi.io/v1 Kafka",
                        "kafka.strimzi.io/v1 KafkaNodePool",
                        "kafka.strimzi.io/v1 KafkaTopic",
                        "flink.apache.org/v1beta1 FlinkDeployment",
                        "apps/v1 Deployment",
                        "v1 Service",
                        "networking.k8s.io/v1 NetworkPolicy",
                        "monitoring.coreos.com/v1 PodMonitor",
                        "monitoring.coreos.com/v1 ServiceMonitor",
                        "v1 ConfigMap");
    }

    @Test
    void namespacedObjectsLiveInTheBloomstreamNamespace() {
        for (JsonNode doc : objects().keySet()) {
            if (!doc.path("kind").asText().equals("Namespace")) {
                assertThat(doc.path("metadata").path("namespace").asText())
                        .as(
                                "%s %s",
                                doc.path("kind").asText(),
                                doc.path("metadata").path("name").asText())
                        .isEqualTo("bloomstream");
            }
        }
    }

    // ---- the schemas catch mistakes -------------------------------------------------------------

    private static JsonNode first(String kind) {
        return objects().keySet().stream()
                .filter(d -> d.path("kind").asText().equals(kind))
                .findFirst()
                .orElseThrow()
                .deepCopy();
    }

    private static Set<String> problemsAfter(String kind, Consumer<ObjectNode> change) {
        ObjectNode doc = (ObjectNode) first(kind);
        assertThat(problems(doc)).as("%s before the change", kind).isEmpty();
        change.accept(doc);
        return problems(doc);
    }

    private static ObjectNode at(ObjectNode doc, String pointer) {
        return (ObjectNode) doc.at(pointer);
    }

    @Test
    void aMisspeltFieldFailsInEverySchemaFamily() {
        List<Set<String>> results = new ArrayList<>();
        results.add(
                problemsAfter(
                        "Deployment",
                        d ->
                                at(d, "/spec/template/spec/containers/0")
                                        .put("imagePullPolcy", "Always")));
        results.add(problemsAfter("FlinkDeployment", d -> at(d, "/spec/job").put("paralelism", 4)));
        results.add(
                problemsAfter(
                        "FlinkDeployment",
                        d ->
                                at(d, "/spec/podTemplate/spec/containers/0/securityContext")
                                        .put("runAsNonroot", true)));
        results.add(problemsAfter("KafkaTopic", d -> at(d, "/spec").put("partitons", 3)));
        results.add(problemsAfter("Kafka", d -> at(d, "/spec/kafka").put("listener", "plain")));
        results.add(problemsAfter("NetworkPolicy", d -> at(d, "/spec").put("podSelect", "x")));
        results.add(
                problemsAfter("PodMonitor", d -> at(d, "/spec").put("podMetricEndpoints", "x")));
        results.add(problemsAfter("Service", d -> at(d, "/metadata").put("label", "x")));
        assertThat(results).allSatisfy(r -> assertThat(r).isNotEmpty());
    }

    @Test
    void wrongValuesFail() {
        assertThat(
                        problemsAfter(
                                "FlinkDeployment", d -> at(d, "/spec").put("flinkVersion", "v2_9")))
                .isNotEmpty();
        assertThat(
                        problemsAfter(
                                "FlinkDeployment",
                                d -> at(d, "/spec/job").put("upgradeMode", "restart")))
                .isNotEmpty();
        assertThat(problemsAfter("Deployment", d -> at(d, "/spec").put("replicas", "two")))
                .isNotEmpty();
        assertThat(problemsAfter("KafkaTopic", d -> ((ObjectNode) d).remove("metadata")))
                .isNotEmpty();
        assertThat(
                        problemsAfter(
                                "Kafka",
                                d -> ((ArrayNode) d.at("/spec/kafka/listeners")).removeAll()))
                .as("the CRD wants at least one listener")
                .isNotEmpty();
        assertThat(problemsAfter("Kafka", d -> at(d, "/spec/kafka").remove("listeners")))
                .as("required by the CRD")
                .isNotEmpty();
    }

    @Test
    void intOrStringAndQuantityAcceptBothWireForms() {
        assertThat(problemsAfter("Service", d -> at(d, "/spec/ports/0").put("targetPort", 8080)))
                .isEmpty();
        assertThat(
                        problemsAfter(
                                "Deployment",
                                d ->
                                        at(d, "/spec/template/spec/containers/0/resources/requests")
                                                .put("cpu", 1)))
                .isEmpty();
        assertThat(problemsAfter("Service", d -> at(d, "/spec/ports/0").put("targetPort", true)))
                .isNotEmpty();
    }
}
