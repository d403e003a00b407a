package org.bloomstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bloomstream.app.deploy.DeployFiles.option;
import static org.bloomstream.app.deploy.DeployFiles.path;
import static org.bloomstream.app.deploy.DeployFiles.stringMap;
import static org.bloomstream.app.deploy.DeployFiles.strings;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.utils.AppInfoParser;
import org.bloomstream.job.cli.FlinkJobMain;
import org.bloomstream.schemas.Topic;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The k8s/ manifests agree with each other, with the CLI, the topic registry, the images and the
 * configuration keys Flink and Kafka know: what a schema cannot see.
 */
class KubernetesConsistencyTest {
    private static final List<JsonNode> OBJECTS =
            new ArrayList<>(KubernetesManifestsTest.objects().keySet());

    /** Labels the Flink Kubernetes Operator (native mode) puts on the pods of a deployment. */
    private static Map<String, String> flinkPodLabels(String deployment, String component) {
        return Map.of("app", deployment, "component", component, "type", "flink-native-kubernetes");
    }

    private static List<JsonNode> all(String kind) {
        return OBJECTS.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
    }

    private static JsonNode one(String kind) {
        List<JsonNode> found = all(kind);
        assertThat(found).as(kind).hasSize(1);
        return found.get(0);
    }

    private static JsonNode named(String kind, String name) {
        return all(kind).stream()
                .filter(o -> o.path("metadata").path("name").asText().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    private static JsonNode flink() {
        return one("FlinkDeployment");
    }

    private static List<String> jobArgs() {
        return strings(flink().path("spec").path("job").path("args"));
    }

    private static Map<String, String> flinkConf() {
        return stringMap(flink().path("spec").path("flinkConfiguration"));
    }

    private static JsonNode deployment(String name) {
        return all("Deployment").stream()
                .filter(d -> d.path("metadata").path("name").asText().equals(name))
                .findFirst()
                .orElseThrow();
    }

    private static JsonNode ingestDeployment() {
        return deployment("bloomstream-ingest");
    }

    private static JsonNode gateDeployment() {
        return deployment("bloomstream-ingest-gate");
    }

    private static List<String> args(JsonNode deployment) {
        return strings(
                deployment
                        .path("spec")
                        .path("template")
                        .path("spec")
                        .path("containers")
                        .get(0)
                        .path("args"));
    }

    private static List<String> ingestArgs() {
        return args(ingestDeployment());
    }

    /** mountPath -> volume, for the first container of a deployment. */
    private static Map<String, JsonNode> mounts(JsonNode deployment) {
        JsonNode pod = deployment.path("spec").path("template").path("spec");
        Map<String, JsonNode> volumes = new HashMap<>();
        pod.path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
        Map<String, JsonNode> out = new HashMap<>();
        pod.path("containers")
                .get(0)
                .path("volumeMounts")
                .forEach(
                        m -> {
                            JsonNode v = volumes.get(m.path("name").asText());
                            assertThat(v).as("volume %s", m.path("name").asText()).isNotNull();
                            out.put(m.path("mountPath").asText(), v);
                        });
        return out;
    }

    private static String kafkaBootstrap() {
        JsonNode kafka = one("Kafka");
        String name = kafka.path("metadata").path("name").asText();
        int plain = -1;
        for (JsonNode l : kafka.path("spec").path("kafka").path("listeners")) {
            if (!l.path("tls").asBoolean() && l.path("type").asText().equals("internal")) {
                plain = l.path("port").asInt();
            }
        }
        assertThat(plain).as("a plain internal listener").isPositive();
        return name + "-kafka-bootstrap.bloomstream.svc:" + plain;
    }

    // ---- the Flink job --------------------------------------------------------------------------

    @Test
    void flinkDeploymentRunsFlink22AndTheJobJarOfItsImage() throws Exception {
        JsonNode spec = flink().path("spec");
        String version = ConfigKeys.flinkVersion(); // the Flink the job is compiled against
        String[] v = version.split("\\.");
        assertThat(spec.path("flinkVersion").asText())
                .isEqualTo("v" + v[0] + "_" + v[1])
                .isEqualTo("v2_2");
        assertThat(spec.path("job").path("jarURI").asText())
                .isEqualTo("local:///opt/flink/usrlib/bloomstream-job.jar");
        assertThat(DeployFiles.text("docker/Dockerfile.job-gpu"))
                .contains("/opt/flink/usrlib/bloomstream-job.jar");
        assertThat(spec.path("job").path("entryClass").asText())
                .isEqualTo(FlinkJobMain.class.getName());
        assertThat(FlinkJobMain.class.getMethod("main", String[].class)).isNotNull();
        assertThat(spec.path("image").asText())
                .as("the GPU job image (docker/Dockerfile.job-gpu)")
                .isEqualTo("bloomstream/flink-job-gpu:0.1.0");
        assertThat(spec.path("job").path("upgradeMode").asText()).isEqualTo("last-state");
    }

    @Test
    void jobArgsAreOptionsOfTheJobCommandAndMatchTheDeployment() {
        List<String> full = new ArrayList<>(List.of("job"));
        full.addAll(jobArgs());
        DeployFiles.parse(full); // throws on an unknown option or a bad value

        JsonNode spec = flink().path("spec");
        int parallelism = Integer.parseInt(option(jobArgs(), "--parallelism").orElseThrow());
        assertThat(parallelism)
                .as("the job sets its own parallelism; job.parallelism must say the same")
                .isEqualTo(spec.path("job").path("parallelism").asInt());
        int slots = Integer.parseInt(flinkConf().get("taskmanager.numberOfTaskSlots"));
        int threads = Integer.parseInt(option(jobArgs(), "--threads").orElseThrow());
        assertThat(threads * slots)
                .as("ONNX Runtime threads of all slots fit the TaskManager's CPUs")
                .isLessThanOrEqualTo(spec.path("taskManager").path("resource").path("cpu").asInt());
        assertThat(option(jobArgs(), "--bootstrap-servers")).contains(kafkaBootstrap());
        for (String model : List.of("--model", "--head", "--mil")) {
            String file = option(jobArgs(), model).orElseThrow();
            assertThat(file).startsWith("/opt/bloomstream/models/fixtures/");
            assertThat(path("models/fixtures").resolve(file.substring(file.lastIndexOf('/') + 1)))
                    .isRegularFile();
        }
        for (JsonNode topic : all("KafkaTopic")) {
            assertThat(topic.path("spec").path("partitions").asInt())
                    .as(
                            "partitions of %s bound the useful source parallelism",
                            topic.path("spec").path("topicName").asText())
                    .isGreaterThanOrEqualTo(parallelism);
        }
    }

    @Test
    void flinkConfigurationKeysAreCurrentFlinkOptions() {
        Map<String, String> problems = new LinkedHashMap<>();
        flinkConf()
                .keySet()
                .forEach(
                        k -> {
                            String p = ConfigKeys.flinkProblem(k);
                            if (p != null) {
                                problems.put(k, p);
                            }
                        });
        assertThat(problems).isEmpty();
        // and the check itself rejects what it should
        assertThat(ConfigKeys.flinkProblem("state.checkpoints.dir")).isNotNull(); // pre-2.0 key
        assertThat(ConfigKeys.flinkProblem("execution.checkpointing.directory")).isNotNull();
        assertThat(ConfigKeys.flinkProblem("metrics.reporter.prom.prot")).isNotNull();
        assertThat(ConfigKeys.flinkProblem("external-resource.gpu.amout")).isNotNull();
    }

    @Test
    void onnxRuntimeAndDjlLoadParentFirstFromFlinksLib() {
        // the image puts them into /opt/flink/lib (issue 17; docs/cluster-operators.md)
        assertThat(flinkConf().get("classloader.parent-first-patterns.additional").split(";"))
                .contains("ai.onnxruntime.", "ai.djl.");
        assertThat(DeployFiles.text("docker/Dockerfile.job-gpu"))
                .contains("/opt/flink/lib/bloomstream-onnxruntime-gpu.jar");
    }

    @Test
    void checkpointsSavepointsAndHaStateLiveInObjectStorage() {
        Map<String, String> conf = flinkConf();
        for (String key :
                List.of(
                        "execution.checkpointing.dir",
                        "execution.checkpointing.savepoint-dir",
                        "high-availability.storageDir")) {
            assertThat(conf.get(key)).as(key).startsWith("s3://");
        }
        assertThat(conf).containsEntry("high-availability.type", "kubernetes");
        assertThat(flink().path("spec").path("jobManager").path("replicas").asInt())
                .as("a standby JobManager")
                .isGreaterThanOrEqualTo(2);
        Map<String, String> env = new HashMap<>();
        JsonNode container = mainContainer(flink().path("spec").path("podTemplate"));
        for (JsonNode e : container.path("env")) {
            env.put(
                    e.path("name").asText(),
                    e.has("value") ? e.path("value").asText() : "<secret>");
        }
        assertThat(env)
                .as("the S3 plugin of this Flink version is enabled")
                .containsEntry(
                        "ENABLE_BUILT_IN_PLUGINS",
                        "flink-s3-fs-presto-" + ConfigKeys.flinkVersion() + ".jar")
                .containsEntry("AWS_ACCESS_KEY_ID", "<secret>")
                .containsEntry("AWS_SECRET_ACCESS_KEY", "<secret>");
    }

    @Test
    void taskManagersRequestOneNvidiaGpuEach() {
        Map<String, String> conf = flinkConf();
        assertThat(conf.get("external-resources").split(";")).contains("gpu");
        assertThat(conf)
                .containsEntry("external-resource.gpu.kubernetes.config-key", "nvidia.com/gpu");
        assertThat(Integer.parseInt(conf.get("external-resource.gpu.amount"))).isEqualTo(1);
        JsonNode tmPod = flink().path("spec").path("taskManager").path("podTemplate").path("spec");
        assertThat(tmPod.path("tolerations").findValuesAsText("key")).contains("nvidia.com/gpu");
    }

    @Test
    void prometheusReachesTheFlinkReporterPort() {
        String port = flinkConf().get("metrics.reporter.prom.port");
        JsonNode container = mainContainer(flink().path("spec").path("podTemplate"));
        Map<String, Integer> ports = new HashMap<>();
        container
                .path("ports")
                .forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
        assertThat(ports).containsEntry("metrics", Integer.parseInt(port));

        JsonNode monitor = named("PodMonitor", "bloomstream-flink");
        String name = flink().path("metadata").path("name").asText();
        Map<String, String> selector =
                stringMap(monitor.path("spec").path("selector").path("matchLabels"));
        assertThat(flinkPodLabels(name, "jobmanager")).containsAllEntriesOf(selector);
        assertThat(flinkPodLabels(name, "taskmanager")).containsAllEntriesOf(selector);
        assertThat(monitor.path("spec").path("podMetricsEndpoints").findValuesAsText("port"))
                .containsExactly("metrics");
    }

    // ---- Kafka ----------------------------------------------------------------------------------

    @Test
    void kafkaTopicsAreExactlyTheRegistryTopics() {
        Set<String> names =
                all("KafkaTopic").stream()
                        .map(t -> t.path("spec").path("topicName").asText())
                        .collect(Collectors.toSet());
        assertThat(names)
                .containsExactlyInAnyOrderElementsOf(
                        Topics.all().stream().map(Topic::name).collect(Collectors.toSet()));
        String cluster = one("Kafka").path("metadata").path("name").asText();
        int brokers = one("KafkaNodePool").path("spec").path("replicas").asInt();
        Set<String> topicConfigs = ConfigKeys.kafkaTopic();
        for (JsonNode t : all("KafkaTopic")) {
            JsonNode spec = t.path("spec");
            assertThat(t.path("metadata").path("labels").path("strimzi.io/cluster").asText())
                    .isEqualTo(cluster);
            assertThat(spec.path("replicas").asInt()).isBetween(1, brokers);
            Map<String, String> config = stringMap(spec.path("config"));
            assertThat(topicConfigs).containsAll(config.keySet());
            assertThat(Integer.parseInt(config.get("min.insync.replicas")))
                    .isLessThan(spec.path("replicas").asInt());
            assertThat(Integer.parseInt(config.get("max.message.bytes")))
                    .isEqualTo(ClientSettings.MAX_RECORD_BYTES);
        }
    }

    @Test
    void kafkaClusterRunsTheClientsReleaseWithKnownBrokerSettings() {
        JsonNode kafka = one("Kafka").path("spec").path("kafka");
        assertThat(kafka.path("version").asText()).isEqualTo(AppInfoParser.getVersion());
        Map<String, String> config = stringMap(kafka.path("config"));
        assertThat(ConfigKeys.kafkaBroker()).containsAll(config.keySet());
        assertThat(Integer.parseInt(config.get("message.max.bytes")))
                .isGreaterThanOrEqualTo(ClientSettings.MAX_RECORD_BYTES);
        assertThat(config).containsEntry("auto.create.topics.enable", "false");
        JsonNode pool = one("KafkaNodePool");
        assertThat(strings(pool.path("spec").path("roles"))).contains("broker", "controller");
        assertThat(pool.path("metadata").path("labels").path("strimzi.io/cluster").asText())
                .isEqualTo(one("Kafka").path("metadata").path("name").asText());
        int brokers = pool.path("spec").path("replicas").asInt();
        assertThat(Integer.parseInt(config.get("transaction.state.log.min.isr")))
                .isLessThan(
                        Integer.parseInt(config.get("transaction.state.log.replication.factor")));
        assertThat(Integer.parseInt(config.get("offsets.topic.replication.factor")))
                .isLessThanOrEqualTo(brokers);
    }

    @Test
    void kafkaClientsCarryTheLabelTheListenersAdmit() {
        Set<Map<String, String>> peers = new HashSet<>();
        for (JsonNode l : one("Kafka").path("spec").path("kafka").path("listeners")) {
            for (JsonNode p : l.path("networkPolicyPeers")) {
                peers.add(stringMap(p.path("podSelector").path("matchLabels")));
            }
        }
        assertThat(peers).hasSize(1);
        Map<String, String> peer = peers.iterator().next();
        assertThat(
                        stringMap(
                                flink().path("spec")
                                        .path("podTemplate")
                                        .path("metadata")
                                        .path("labels")))
                .containsAllEntriesOf(peer);
        for (JsonNode d : all("Deployment")) {
            assertThat(stringMap(d.path("spec").path("template").path("metadata").path("labels")))
                    .as(d.path("metadata").path("name").asText())
                    .containsAllEntriesOf(peer);
        }
    }

    // ---- ingest ---------------------------------------------------------------------------------

    @Test
    void ingestDeploymentServiceMonitorAndBudgetSelectTheSamePods() {
        JsonNode dep = ingestDeployment().path("spec");
        Map<String, String> podLabels =
                stringMap(dep.path("template").path("metadata").path("labels"));
        assertThat(podLabels)
                .containsAllEntriesOf(stringMap(dep.path("selector").path("matchLabels")));

        JsonNode container = dep.path("template").path("spec").path("containers").get(0);
        Map<String, Integer> ports = new HashMap<>();
        container
                .path("ports")
                .forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
        assertThat(ports)
                .containsEntry(
                        "http", Integer.parseInt(option(ingestArgs(), "--port").orElseThrow()));

        JsonNode service = one("Service");
        assertThat(podLabels)
                .containsAllEntriesOf(stringMap(service.path("spec").path("selector")));
        JsonNode sport = service.path("spec").path("ports").get(0);
        assertThat(sport.path("targetPort").asText()).isIn(ports.keySet());

        JsonNode monitor = one("ServiceMonitor");
        assertThat(stringMap(service.path("metadata").path("labels")))
                .containsAllEntriesOf(
                        stringMap(monitor.path("spec").path("selector").path("matchLabels")));
        assertThat(monitor.path("spec").path("endpoints").findValuesAsText("port"))
                .containsExactly(sport.path("name").asText());
        assertThat(monitor.path("spec").path("endpoints").findValuesAsText("path"))
                .containsExactly("/metrics");

        assertThat(podLabels)
                .containsAllEntriesOf(
                        stringMap(
                                one("PodDisruptionBudget")
                                        .path("spec")
                                        .path("selector")
                                        .path("matchLabels")));
        assertThat(dep.path("template").path("spec").path("serviceAccountName").asText())
                .isEqualTo(one("ServiceAccount").path("metadata").path("name").asText());
    }

    /** name -> containerPort of a deployment's first container. */
    private static Map<String, Integer> containerPorts(JsonNode deployment) {
        Map<String, Integer> ports = new HashMap<>();
        deployment
                .path("spec")
                .path("template")
                .path("spec")
                .path("containers")
                .get(0)
                .path("ports")
                .forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
        return ports;
    }

    @Test
    void theLivePageIsServedOnTheIngestServiceAndLetInByAPolicy() {
        List<String> serve = ingestArgs();
        int port = Integer.parseInt(option(serve, "--live-port").orElseThrow());
        assertThat(option(serve, "--live-bind")).contains("0.0.0.0");
        assertThat(containerPorts(ingestDeployment())).containsEntry("live", port);
        JsonNode live = null;
        for (JsonNode p : one("Service").path("spec").path("ports")) {
            if (p.path("name").asText().equals("live")) {
                live = p;
            }
        }
        assertThat(live).as("the ingest Service has a port named live").isNotNull();
        assertThat(live.path("targetPort").asText()).isEqualTo("live");
        assertThat(all("NetworkPolicy"))
                .as("some policy lets browsers in on the live port")
                .anySatisfy(
                        p -> {
                            assertThat(selected(p.path("spec").path("podSelector")))
                                    .anyMatch(pod -> pod.name().equals("ingest"));
                            assertThat(p.path("spec").path("ingress").findValues("port"))
                                    .anyMatch(n -> n.asInt() == port);
                        });
    }

    @Test
    void prometheusScrapesTheGateOnItsMetricsPort() {
        List<String> gate = args(gateDeployment());
        int port = Integer.parseInt(option(gate, "--metrics-port").orElseThrow());
        assertThat(option(gate, "--metrics-bind")).contains("0.0.0.0");
        assertThat(containerPorts(gateDeployment())).containsEntry("metrics", port);
        JsonNode monitor = named("PodMonitor", "bloomstream-ingest-gate");
        assertThat(
                        stringMap(
                                gateDeployment()
                                        .path("spec")
                                        .path("template")
                                        .path("metadata")
                                        .path("labels")))
                .containsAllEntriesOf(
                        stringMap(monitor.path("spec").path("selector").path("matchLabels")));
        assertThat(monitor.path("spec").path("podMetricsEndpoints").findValuesAsText("port"))
                .containsExactly("metrics");
        assertThat(monitor.path("spec").path("podMetricsEndpoints").findValuesAsText("path"))
                .containsExactly("/metrics");
    }

    @Test
    void ingestArgsAreOptionsOfTheIngestCommands() {
        List<String> serve = ingestArgs();
        assertThat(serve.subList(0, 2)).containsExactly("ingest", "serve");
        assertThat(option(serve, "--bootstrap-servers")).contains(kafkaBootstrap());
        assertThat(option(serve, "--bind")).contains("0.0.0.0");
        assertThat(serve).doesNotContain("--no-auth", "--with-gate");
        String token = option(serve, "--token-file").orElseThrow();
        JsonNode tokenVolume =
                mounts(ingestDeployment()).get(token.substring(0, token.lastIndexOf('/')));
        assertThat(tokenVolume.path("secret").path("secretName").asText())
                .as("the bearer token comes from a Secret")
                .isNotEmpty();

        List<String> gate = args(gateDeployment());
        assertThat(gate.subList(0, 2)).containsExactly("ingest", "gate");
        assertThat(option(gate, "--bootstrap-servers")).contains(kafkaBootstrap());
        String stateDir = option(gate, "--gate-state-dir").orElseThrow();
        assertThat(mounts(gateDeployment()).entrySet())
                .as("the gate's state dir is on a writable volume")
                .anyMatch(
                        e -> stateDir.startsWith(e.getKey() + "/") && e.getValue().has("emptyDir"));

        Assumptions.assumeTrue(
                DeployFiles.subcommand("ingest", "serve").isPresent()
                        && DeployFiles.subcommand("ingest", "gate").isPresent(),
                "`bloomstream ingest serve|gate` are not in this build yet (issue 6); their options"
                        + " are checked once they are");
        DeployFiles.parse(serve);
        DeployFiles.parse(gate);
    }

    // ---- security -------------------------------------------------------------------------------

    @Test
    void everyPodWeDefineRunsAsNonRootWithoutPrivilegeEscalation() {
        assertThat(all("Deployment")).hasSize(2);
        for (JsonNode deployment : all("Deployment")) {
            String name = deployment.path("metadata").path("name").asText();
            JsonNode pod = deployment.path("spec").path("template").path("spec");
            assertRestrictedPod(pod, name);
            assertThat(pod.path("securityContext").path("runAsUser").asInt())
                    .as("%s: the uid of USER in docker/Dockerfile.ingest", name)
                    .isEqualTo(10001);
            pod.path("containers")
                    .forEach(
                            c ->
                                    assertThat(
                                                    c.path("securityContext")
                                                            .path("readOnlyRootFilesystem")
                                                            .asBoolean())
                                            .as(name)
                                            .isTrue());
            assertThat(pod.path("automountServiceAccountToken").asBoolean(true)).as(name).isFalse();
        }
        assertThat(DeployFiles.text("docker/Dockerfile.ingest")).contains("USER 10001:10001");

        JsonNode flinkPod = flink().path("spec").path("podTemplate").path("spec");
        assertRestrictedPod(flinkPod, "flink");
        assertThat(flinkPod.path("securityContext").path("runAsUser").asInt())
                .as("uid of the flink user in the official image and Dockerfile.job-gpu")
                .isEqualTo(9999);
        assertThat(DeployFiles.text("docker/Dockerfile.job-gpu")).contains("--uid=9999");
        for (String role : List.of("jobManager", "taskManager")) {
            assertThat(
                            flink().path("spec")
                                    .path(role)
                                    .path("podTemplate")
                                    .path("spec")
                                    .has("securityContext"))
                    .as("%s does not override the pod security context", role)
                    .isFalse();
        }

        JsonNode kafkaTemplate = one("KafkaNodePool").path("spec").path("template");
        assertThat(
                        kafkaTemplate
                                .path("pod")
                                .path("securityContext")
                                .path("runAsNonRoot")
                                .asBoolean())
                .isTrue();
        assertContainerRestricted(
                kafkaTemplate.path("kafkaContainer").path("securityContext"), "kafka");
    }

    private static void assertRestrictedPod(JsonNode pod, String what) {
        JsonNode sc = pod.path("securityContext");
        assertThat(sc.path("runAsNonRoot").asBoolean()).as(what).isTrue();
        assertThat(sc.path("runAsUser").asInt()).as(what).isPositive();
        assertThat(sc.path("seccompProfile").path("type").asText())
                .as(what)
                .isEqualTo("RuntimeDefault");
        assertThat(pod.path("containers").size()).isPositive();
        pod.path("containers")
                .forEach(c -> assertContainerRestricted(c.path("securityContext"), what));
    }

    private static void assertContainerRestricted(JsonNode sc, String what) {
        assertThat(sc.path("allowPrivilegeEscalation").asBoolean(true)).as(what).isFalse();
        assertThat(strings(sc.path("capabilities").path("drop"))).as(what).contains("ALL");
        assertThat(sc.path("privileged").asBoolean(false)).as(what).isFalse();
    }

    // ---- network policies -----------------------------------------------------------------------

    /** A pod the manifests (or the operators they drive) create: its labels and ports. */
    record Pod(String name, Map<String, String> labels, Set<Integer> ports) {}

    private static List<Pod> pods() {
        List<Pod> pods = new ArrayList<>();
        String name = flink().path("metadata").path("name").asText();
        Map<String, String> template =
                stringMap(flink().path("spec").path("podTemplate").path("metadata").path("labels"));
        int metrics = Integer.parseInt(flinkConf().get("metrics.reporter.prom.port"));
        Map<String, String> jm = new HashMap<>(template);
        jm.putAll(flinkPodLabels(name, "jobmanager"));
        pods.add(new Pod("jobmanager", jm, Set.of(6123, 6124, 8081, metrics)));
        Map<String, String> tm = new HashMap<>(template);
        tm.putAll(flinkPodLabels(name, "taskmanager"));
        pods.add(new Pod("taskmanager", tm, Set.of(6121, 6122, metrics)));
        JsonNode ingest = ingestDeployment().path("spec").path("template");
        Set<Integer> ingestPorts = new HashSet<>();
        ingest.path("spec")
                .path("containers")
                .forEach(
                        c ->
                                c.path("ports")
                                        .forEach(
                                                p ->
                                                        ingestPorts.add(
                                                                p.path("containerPort").asInt())));
        pods.add(new Pod("ingest", stringMap(ingest.path("metadata").path("labels")), ingestPorts));
        JsonNode gate = gateDeployment().path("spec").path("template");
        pods.add(
                new Pod(
                        "ingest-gate",
                        stringMap(gate.path("metadata").path("labels")),
                        Set.copyOf(containerPorts(gateDeployment()).values())));
        Set<Integer> kafkaPorts = new HashSet<>(Set.of(9090, 9091));
        one("Kafka")
                .path("spec")
                .path("kafka")
                .path("listeners")
                .forEach(l -> kafkaPorts.add(l.path("port").asInt()));
        pods.add(
                new Pod(
                        "kafka",
                        Map.of(
                                "strimzi.io/cluster",
                                one("Kafka").path("metadata").path("name").asText(),
                                "strimzi.io/kind",
                                "Kafka"),
                        kafkaPorts));
        return pods;
    }

    private static List<Pod> selected(JsonNode podSelector) {
        Map<String, String> match = stringMap(podSelector.path("matchLabels"));
        assertThat(podSelector.has("matchExpressions"))
                .as("selectors use matchLabels only")
                .isFalse();
        return pods().stream()
                .filter(p -> p.labels().entrySet().containsAll(match.entrySet()))
                .toList();
    }

    @Test
    void networkPoliciesSelectRealPodsAndOpenPortsTheyListenOn() {
        List<JsonNode> policies = all("NetworkPolicy");
        assertThat(policies)
                .anySatisfy(
                        p -> {
                            assertThat(p.path("spec").path("podSelector").size()).isZero();
                            assertThat(strings(p.path("spec").path("policyTypes")))
                                    .containsExactly("Ingress");
                            assertThat(p.path("spec").has("ingress")).isFalse();
                        });
        for (JsonNode policy : policies) {
            String name = policy.path("metadata").path("name").asText();
            List<Pod> targets = selected(policy.path("spec").path("podSelector"));
            assertThat(targets).as("pods selected by %s", name).isNotEmpty();
            Set<Integer> listening =
                    targets.stream().flatMap(p -> p.ports().stream()).collect(Collectors.toSet());
            for (JsonNode rule : policy.path("spec").path("ingress")) {
                for (JsonNode port : rule.path("ports")) {
                    assertThat(listening)
                            .as("%s opens a port its pods listen on", name)
                            .contains(port.path("port").asInt());
                }
                for (JsonNode from : rule.path("from")) {
                    if (from.has("podSelector") && !from.has("namespaceSelector")) {
                        assertThat(selected(from.path("podSelector")))
                                .as("%s: from", name)
                                .isNotEmpty();
                    }
                }
            }
            for (JsonNode rule : policy.path("spec").path("egress")) {
                for (JsonNode to : rule.path("to")) {
                    if (to.has("podSelector") && !to.has("namespaceSelector")) {
                        List<Pod> peers = selected(to.path("podSelector"));
                        assertThat(peers).as("%s: to", name).isNotEmpty();
                        Set<Integer> peerPorts =
                                peers.stream()
                                        .flatMap(p -> p.ports().stream())
                                        .collect(Collectors.toSet());
                        rule.path("ports")
                                .forEach(
                                        port ->
                                                assertThat(peerPorts)
                                                        .contains(port.path("port").asInt()));
                    }
                }
            }
        }
        // Flink's own traffic and Prometheus' scrapes are let in
        assertThat(policies.stream().map(p -> p.path("metadata").path("name").asText()))
                .contains("flink-internal", "metrics-from-prometheus", "flink-rest-from-operator");
    }

    private static JsonNode mainContainer(JsonNode podTemplate) {
        for (JsonNode c : podTemplate.path("spec").path("containers")) {
            if (c.path("name").asText().equals("flink-main-container")) {
                return c;
            }
        }
        throw new AssertionError("no flink-main-container in the pod template");
    }
}
