package org.bloomstream.app.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.bloomstream.app.deploy.DeployFiles.option;
import static org.bloomstream.app.deploy.DeployFiles.path;
import static org.bloomstream.app.deploy.DeployFiles.strings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.AppInfoParser;
import org.bloomstream.job.cli.FlinkJobMain;
import org.bloomstream.schemas.Topic;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * docker/docker-compose.yml, validated without a Docker daemon: against the Compose Specification's
 * JSON schema, and for consistency with the CLI, the topic registry, Flink's and Kafka's
 * configuration keys, the Prometheus and Grafana files and the repository's paths.
 */
class ComposeFileTest {
    private static final String COMPOSE = "docker/docker-compose.yml";
    private static final String TEST_OVERRIDE = "docker/docker-compose.test.yml";

    /** The file as written, with its ${VAR:-default} host ports. */
    private static final JsonNode FILE = DeployFiles.yaml(COMPOSE);

    /** The file as compose runs it without those variables set: every ${VAR:-default} resolved. */
    private static final JsonNode RESOLVED = withDefaults(DeployFiles.text(COMPOSE));

    private static final JsonNode SERVICES = RESOLVED.path("services");

    /** The core services: everything a replayed folder needs to come out classified. */
    private static final Set<String> CORE =
            Set.of("kafka", "kafka-init", "jobmanager", "taskmanager", "ingest");

    private static JsonNode service(String name) {
        JsonNode s = SERVICES.path(name);
        assertThat(s.isObject()).as("service %s", name).isTrue();
        return s;
    }

    private static List<String> command(String service) {
        return strings(service(service).path("command"));
    }

    private static Map<String, String> flinkProperties(String service) {
        return DeployFiles.flinkProperties(
                service(service).path("environment").path("FLINK_PROPERTIES").asText());
    }

    /** The `bloomstream job` options of the JobManager's standalone-job command. */
    private static List<String> jobArgs() {
        List<String> cmd = command("jobmanager");
        assertThat(cmd.subList(0, 3))
                .containsExactly("standalone-job", "--job-classname", FlinkJobMain.class.getName());
        return cmd.subList(3, cmd.size());
    }

    @Test
    void validatesAgainstTheComposeSpecification() {
        JsonSchema spec = DeployFiles.schema(path("docker/schemas/compose-spec.json"));
        assertThat(DeployFiles.validate(spec, FILE)).isEmpty();
        assertThat(DeployFiles.validate(spec, DeployFiles.yaml("docker/docker-compose.gpu.yml")))
                .isEmpty();

        // and the schema is strict enough to catch a misspelt key or a wrong type
        ObjectNode typo = FILE.deepCopy();
        ((ObjectNode) typo.path("services").path("kafka")).put("restart_policy", "always");
        assertThat(DeployFiles.validate(spec, typo)).isNotEmpty();
        ObjectNode wrongType = FILE.deepCopy();
        ((ObjectNode) wrongType.path("services").path("kafka")).put("ports", "9094");
        assertThat(DeployFiles.validate(spec, wrongType)).isNotEmpty();
    }

    @Test
    void hasEveryServiceTheDeploymentNeeds() {
        assertThat(fieldNames(SERVICES))
                .contains(
                        "kafka",
                        "kafka-init",
                        "schema-registry",
                        "jobmanager",
                        "taskmanager",
                        "ingest",
                        "prometheus",
                        "grafana");
    }

    @Test
    void pinsEveryImageAndBuildsOursFromTheRepository() {
        for (String name : fieldNames(SERVICES)) {
            String image = service(name).path("image").asText();
            assertThat(image).as("image of %s", name).matches("[a-z0-9./-]+(:[A-Za-z0-9._-]+)");
            assertThat(image).as("image of %s", name).doesNotEndWith(":latest");
        }
        assertThat(service("kafka").path("image").asText())
                .as("the broker runs the Kafka release the clients are built against")
                .isEqualTo("apache/kafka:" + AppInfoParser.getVersion());
        assertThat(service("kafka-init").path("image").asText())
                .isEqualTo(service("kafka").path("image").asText());
        assertThat(service("schema-registry").path("image").asText())
                .startsWith("quay.io/apicurio/apicurio-registry:3.");
        assertThat(service("jobmanager").path("build").path("dockerfile").asText())
                .isEqualTo("docker/Dockerfile.job");
        assertThat(service("taskmanager").path("image").asText())
                .as("JobManager and TaskManager run the same image")
                .isEqualTo(service("jobmanager").path("image").asText());
        assertThat(service("ingest").path("build").path("dockerfile").asText())
                .isEqualTo("docker/Dockerfile.ingest");
        assertThat(service("taskmanager").path("build").path("dockerfile").asText())
                .isEqualTo("docker/Dockerfile.job");
        for (String built : List.of("jobmanager", "taskmanager", "ingest")) {
            JsonNode build = service(built).path("build");
            assertThat(path("docker").resolve(build.path("context").asText()).normalize())
                    .isEqualTo(DeployFiles.ROOT);
            assertThat(DeployFiles.ROOT.resolve(build.path("dockerfile").asText())).isRegularFile();
        }
    }

    @Test
    void jobManagerRunsTheJobWithOptionsTheJobCommandAccepts() throws Exception {
        List<String> args = jobArgs();
        List<String> full = new ArrayList<>(List.of("job"));
        full.addAll(args);
        DeployFiles.parse(full); // throws on an unknown option or a bad value
        assertThat(FlinkJobMain.class.getMethod("main", String[].class)).isNotNull();

        assertThat(option(args, "--bootstrap-servers")).contains(kafkaInternalBootstrap());
        int parallelism = Integer.parseInt(option(args, "--parallelism").orElseThrow());
        int slots =
                Integer.parseInt(
                        flinkProperties("taskmanager").get("taskmanager.numberOfTaskSlots"));
        assertThat(parallelism).as("one TaskManager has enough slots").isLessThanOrEqualTo(slots);
        assertThat(Integer.parseInt(option(args, "--threads").orElseThrow()) * slots)
                .as("ORT threads per TaskManager")
                .isLessThanOrEqualTo(4);
        for (String model : List.of("--model", "--head", "--mil")) {
            String file = option(args, model).orElseThrow();
            assertThat(file).startsWith("/opt/bloomstream/models/fixtures/");
            assertThat(path("models/fixtures").resolve(file.substring(file.lastIndexOf('/') + 1)))
                    .as("%s %s ships in the image", model, file)
                    .isRegularFile();
        }
        assertThat(DeployFiles.text("docker/Dockerfile.job"))
                .contains(
                        "COPY --chown=flink:flink models/fixtures/ /opt/bloomstream/models/fixtures/");
    }

    @Test
    void theJobCommandCheckCatchesAnUnknownOption() {
        List<String> full = new ArrayList<>(List.of("job"));
        full.addAll(jobArgs());
        full.add("--batchsize");
        full.add("8");
        assertThatThrownBy(() -> DeployFiles.parse(full))
                .isInstanceOf(CommandLine.ParameterException.class);
    }

    @Test
    void ingestRunsWithOptionsTheIngestCommandAccepts() {
        List<String> cmd = command("ingest");
        assertThat(cmd.subList(0, 2)).containsExactly("ingest", "serve");
        assertThat(option(cmd, "--bootstrap-servers")).contains(kafkaInternalBootstrap());
        String port = option(cmd, "--port").orElseThrow();
        assertThat(strings(service("ingest").path("ports"))).contains("8080:" + port);
        assertThat(option(cmd, "--bind"))
                .as("reachable from other containers, not only loopback")
                .contains("0.0.0.0");
        assertThat(cmd).as("the gate runs in the feed's JVM").contains("--with-gate");
        String live = option(cmd, "--live-port").orElseThrow();
        assertThat(strings(service("ingest").path("ports")))
                .as("the lab's live page is published")
                .contains(live + ":" + live);
        assertThat(option(cmd, "--live-bind")).contains("0.0.0.0");
        assertThat(namedVolumeTargets("ingest"))
                .as("the gate's state dir is on a volume")
                .anyMatch(v -> option(cmd, "--gate-state-dir").orElseThrow().startsWith(v + "/"));
        assertThat(cmd).doesNotContain("--no-auth");
        assertThat(service("ingest").path("environment").path("BLOOMSTREAM_INGEST_TOKEN").asText())
                .as("the bearer token comes from the environment, required")
                .startsWith("${BLOOMSTREAM_INGEST_TOKEN:?");
        Assumptions.assumeTrue(
                DeployFiles.subcommand("ingest", "serve").isPresent(),
                "`bloomstream ingest serve` is not in this build yet (issue 6); its options are"
                        + " checked once it is");
        DeployFiles.parse(cmd);
    }

    @Test
    void flinkPropertiesAreCurrentFlinkOptions() {
        for (String service : List.of("jobmanager", "taskmanager")) {
            Map<String, String> props = flinkProperties(service);
            assertThat(props).isNotEmpty();
            Map<String, String> problems = new LinkedHashMap<>();
            props.keySet()
                    .forEach(
                            k -> {
                                String p = ConfigKeys.flinkProblem(k);
                                if (p != null) {
                                    problems.put(k, p);
                                }
                            });
            assertThat(problems).as("FLINK_PROPERTIES of %s", service).isEmpty();
            assertThat(props.get("jobmanager.rpc.address")).isEqualTo("jobmanager");
            assertThat(props)
                    .containsEntry(
                            "metrics.reporter.prom.factory.class",
                            "org.apache.flink.metrics.prometheus.PrometheusReporterFactory")
                    .containsEntry("metrics.reporter.prom.port", "9249");
        }
        Map<String, String> jm = flinkProperties("jobmanager");
        Map<String, String> tm = flinkProperties("taskmanager");
        for (String shared :
                List.of(
                        "state.backend.type",
                        "execution.checkpointing.dir",
                        "execution.checkpointing.savepoint-dir",
                        "taskmanager.numberOfTaskSlots",
                        "classloader.parent-first-patterns.additional")) {
            assertThat(tm.get(shared)).as(shared).isEqualTo(jm.get(shared));
        }
        // ONNX Runtime and DJL come from /opt/flink/lib (issue 17), parent-first
        assertThat(tm.get("classloader.parent-first-patterns.additional").split(";"))
                .contains("ai.onnxruntime.", "ai.djl.");
        // checkpoints go to a volume both JobManager and TaskManagers mount
        for (String dirKey :
                List.of("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir")) {
            String dir = jm.get(dirKey).replaceFirst("^file://", "");
            for (String service : List.of("jobmanager", "taskmanager")) {
                assertThat(namedVolumeTargets(service)).as(service).contains(dir);
            }
            assertThat(DeployFiles.text("docker/Dockerfile.job"))
                    .as("the mount point exists in the image, owned by flink")
                    .contains(dir);
        }
    }

    @Test
    void kafkaSettingsAreBrokerConfigsThatFitTheClients() {
        Map<String, String> env = DeployFiles.stringMap(service("kafka").path("environment"));
        Set<String> known = ConfigKeys.kafkaBroker();
        Map<String, String> config = new HashMap<>();
        env.forEach(
                (k, v) -> {
                    if (k.startsWith("KAFKA_")) {
                        String key = ConfigKeys.kafkaEnvToKey(k);
                        assertThat(known).as("%s -> %s", k, key).contains(key);
                        config.put(key, v);
                    }
                });
        assertThat(Uuid.fromString(env.get("CLUSTER_ID"))).isNotNull();
        assertThat(Integer.parseInt(config.get("message.max.bytes")))
                .isGreaterThanOrEqualTo(ClientSettings.MAX_RECORD_BYTES);
        assertThat(Integer.parseInt(config.get("replica.fetch.max.bytes")))
                .isGreaterThanOrEqualTo(ClientSettings.MAX_RECORD_BYTES);
        assertThat(config)
                .containsEntry("process.roles", "broker,controller")
                .containsEntry("offsets.topic.replication.factor", "1")
                .containsEntry("transaction.state.log.replication.factor", "1")
                .containsEntry("transaction.state.log.min.isr", "1")
                .containsEntry("auto.create.topics.enable", "false");
        assertThat(config.get("advertised.listeners").split(","))
                .contains("PLAINTEXT://" + kafkaInternalBootstrap());
        String voter = config.get("controller.quorum.voters").split("@")[1];
        assertThat(config.get("listeners")).contains("CONTROLLER://:" + voter.split(":")[1]);
        assertThat(namedVolumeTargets("kafka")).contains(config.get("log.dirs"));
        // host clients (a CLI on the Docker host) use the EXTERNAL listener
        assertThat(config.get("advertised.listeners").split(","))
                .contains("EXTERNAL://localhost:9094");
        assertThat(strings(service("kafka").path("ports"))).contains("9094:9094");
    }

    @Test
    void kafkaInitCreatesExactlyTheRegistryTopicsBeforeAnythingStarts() {
        String script = DeployFiles.text("docker/kafka/create-topics.sh");
        Set<String> topics = Set.of(shellVar(script, "TOPICS").split(" "));
        assertThat(topics)
                .containsExactlyInAnyOrderElementsOf(
                        Topics.all().stream().map(Topic::name).collect(Collectors.toSet()));
        assertThat(Integer.parseInt(shellVar(script, "MAX_MESSAGE_BYTES")))
                .isEqualTo(ClientSettings.MAX_RECORD_BYTES);

        JsonNode init = service("kafka-init");
        assertThat(strings(init.path("volumes")))
                .contains("./kafka/create-topics.sh:/opt/bloomstream/create-topics.sh:ro");
        assertThat(strings(init.path("command"))).contains("/opt/bloomstream/create-topics.sh");
        assertThat(init.path("environment").path("BOOTSTRAP_SERVERS").asText())
                .isEqualTo(kafkaInternalBootstrap());
        int partitions = init.path("environment").path("PARTITIONS").asInt();
        assertThat(partitions)
                .as("partitions bound the useful source parallelism")
                .isGreaterThanOrEqualTo(Integer.parseInt(option(jobArgs(), "--parallelism").get()));
        assertThat(init.path("depends_on").path("kafka").path("condition").asText())
                .isEqualTo("service_healthy");
        for (String s : List.of("jobmanager", "ingest")) {
            assertThat(service(s).path("depends_on").path("kafka-init").path("condition").asText())
                    .as(s)
                    .isEqualTo("service_completed_successfully");
        }
    }

    @Test
    void prometheusScrapesTheFlinkReporterAndTheIngestPort() {
        JsonNode prom = DeployFiles.yaml("docker/prometheus/prometheus.yml");
        Map<String, Integer> targets = new HashMap<>();
        Map<String, String> paths = new HashMap<>();
        for (JsonNode job : prom.path("scrape_configs")) {
            for (JsonNode sd : job.path("dns_sd_configs")) {
                for (JsonNode name : sd.path("names")) {
                    targets.put(name.asText(), sd.path("port").asInt());
                    paths.put(name.asText(), job.path("metrics_path").asText("/metrics"));
                }
            }
        }
        int flinkPort =
                Integer.parseInt(flinkProperties("taskmanager").get("metrics.reporter.prom.port"));
        assertThat(targets)
                .containsEntry("jobmanager", flinkPort)
                .containsEntry("taskmanager", flinkPort)
                .containsEntry(
                        "ingest", Integer.parseInt(option(command("ingest"), "--port").get()));
        assertThat(paths).containsEntry("ingest", "/metrics");
        assertThat(fieldNames(SERVICES)).containsAll(targets.keySet());
        assertThat(strings(service("prometheus").path("volumes")))
                .contains("./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro");
        assertThat(strings(service("prometheus").path("command")))
                .contains("--config.file=/etc/prometheus/prometheus.yml");
    }

    @Test
    void grafanaGetsItsProvisioningAndTheDashboardFromTheRepository() {
        Map<String, String> mounts = bindMounts("grafana");
        String provisioning = mounts.get("/etc/grafana/provisioning");
        String dashboards = mounts.get("/etc/grafana/dashboards");
        assertThat(provisioning).isEqualTo("./grafana/provisioning");
        assertThat(dashboards).isEqualTo("./grafana/dashboards");

        JsonNode datasources =
                DeployFiles.yaml("docker/grafana/provisioning/datasources/prometheus.yml");
        JsonNode ds = datasources.path("datasources").get(0);
        assertThat(ds.path("type").asText()).isEqualTo("prometheus");
        assertThat(ds.path("url").asText()).isEqualTo("http://prometheus:9090");
        assertThat(strings(service("prometheus").path("ports"))).contains("9090:9090");

        JsonNode providers =
                DeployFiles.yaml("docker/grafana/provisioning/dashboards/bloomstream.yml");
        assertThat(providers.path("providers").get(0).path("options").path("path").asText())
                .isEqualTo("/etc/grafana/dashboards");
        String home =
                service("grafana")
                        .path("environment")
                        .path("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
                        .asText();
        assertThat(home).startsWith("/etc/grafana/dashboards/");
        assertThat(
                        path("docker/grafana/dashboards")
                                .resolve(home.substring(home.lastIndexOf('/') + 1)))
                .isRegularFile();

        JsonNode dashboard = DeployFiles.json("docker/grafana/dashboards/bloomstream.json");
        JsonNode var = GrafanaDashboardTest.variable(dashboard, "datasource");
        assertThat(var.path("current").path("value").asText())
                .as("the dashboard's default datasource is the provisioned one")
                .isEqualTo(ds.path("uid").asText());
    }

    @Test
    void bindMountsExistInTheRepositoryAndNamedVolumesAreDeclared() {
        Set<String> declared = fieldNames(FILE.path("volumes"));
        for (String name : fieldNames(SERVICES)) {
            for (String volume : strings(service(name).path("volumes"))) {
                String source = volume.split(":")[0];
                if (source.startsWith(".")) {
                    assertThat(path("docker").resolve(source).normalize())
                            .as("%s mounts %s", name, source)
                            .exists();
                } else {
                    assertThat(declared).as("%s mounts volume %s", name, source).contains(source);
                }
            }
        }
    }

    @Test
    void hostPortsAreUnique() {
        List<String> hostPorts = new ArrayList<>();
        for (String name : fieldNames(SERVICES)) {
            strings(service(name).path("ports")).forEach(p -> hostPorts.add(p.split(":")[0]));
        }
        assertThat(hostPorts).doesNotHaveDuplicates();
    }

    @Test
    void gpuOverrideGivesTaskManagersAGpuAndTheCudaImage() {
        JsonNode gpu = DeployFiles.yaml("docker/docker-compose.gpu.yml").path("services");
        assertThat(gpu.path("jobmanager").path("build").path("dockerfile").asText())
                .isEqualTo("docker/Dockerfile.job-gpu");
        assertThat(gpu.path("taskmanager").path("image").asText())
                .isEqualTo(gpu.path("jobmanager").path("image").asText());
        assertThat(gpu.path("taskmanager").path("build").path("dockerfile").asText())
                .isEqualTo("docker/Dockerfile.job-gpu");
        JsonNode device =
                gpu.path("taskmanager")
                        .path("deploy")
                        .path("resources")
                        .path("reservations")
                        .path("devices")
                        .get(0);
        assertThat(device.path("driver").asText()).isEqualTo("nvidia");
        assertThat(strings(device.path("capabilities"))).contains("gpu");
        assertThat(fieldNames(gpu)).containsExactlyInAnyOrder("jobmanager", "taskmanager");
    }

    @Test
    void hasNoTopLevelNameSoThatComposeV1RunsIt() {
        // Debian's docker-compose 1.29 refuses `name:`; the project name is given with -p
        assertThat(fieldNames(FILE)).containsExactlyInAnyOrder("services", "volumes");
        assertThat(DeployFiles.text(COMPOSE)).contains("docker compose -p bloomstream");
    }

    @Test
    void onlyTheCoreStackStartsWithoutAProfile() {
        for (String name : fieldNames(SERVICES)) {
            List<String> profiles = strings(service(name).path("profiles"));
            if (CORE.contains(name)) {
                assertThat(profiles).as(name).isEmpty();
            } else {
                assertThat(profiles).as(name).hasSize(1);
            }
        }
        assertThat(strings(service("schema-registry").path("profiles")))
                .containsExactly("registry");
        assertThat(strings(service("prometheus").path("profiles"))).containsExactly("monitoring");
        assertThat(strings(service("grafana").path("profiles"))).containsExactly("monitoring");
    }

    @Test
    void movedKafkaHostPortIsTheOneTheExternalListenerAdvertises() {
        JsonNode kafka = FILE.path("services").path("kafka");
        String var = "${BLOOMSTREAM_KAFKA_PORT:-9094}";
        assertThat(strings(kafka.path("ports"))).containsExactly(var + ":9094");
        assertThat(kafka.path("environment").path("KAFKA_ADVERTISED_LISTENERS").asText())
                .contains("EXTERNAL://localhost:" + var);
    }

    @Test
    void testOverrideSwapsInTheLocallyBuiltImagesAndNothingThatRuns() {
        JsonSchema spec = DeployFiles.schema(path("docker/schemas/compose-spec.json"));
        JsonNode file = DeployFiles.yaml(TEST_OVERRIDE);
        assertThat(DeployFiles.validate(spec, file)).isEmpty();
        JsonNode services = file.path("services");
        assertThat(fieldNames(services)).isEqualTo(CORE);
        String dockerUp = DeployFiles.text("docker/test/docker-up");
        for (String name : CORE) {
            JsonNode s = services.path(name);
            assertThat(fieldNames(s))
                    .as("%s: the production command, environment, ports and volumes run", name)
                    .isSubsetOf("image", "build", "dns", "labels");
            String image = s.path("image").asText();
            assertThat(dockerUp).as("docker/test/docker-up builds %s", image).contains(image);
            assertThat(s.path("dns").asText()).as(name).isEqualTo("127.0.0.1");
            assertThat(s.path("labels").path("org.bloomstream.tier").asText()).isEqualTo("compose");
            JsonNode args = s.path("build").path("args");
            if (!args.isMissingNode()) {
                String dockerfile = service(name).path("build").path("dockerfile").asText();
                for (String arg : fieldNames(args)) {
                    assertThat(DeployFiles.text(dockerfile))
                            .as("%s takes %s", dockerfile, arg)
                            .contains("ARG " + arg + "=");
                    assertThat(dockerUp)
                            .as("docker-up builds it with the same argument")
                            .contains("--build-arg " + arg + "=" + args.path(arg).asText());
                }
            }
        }
        assertThat(services.path("jobmanager").path("image").asText())
                .isEqualTo(services.path("taskmanager").path("image").asText());
        assertThat(
                        file.path("networks")
                                .path("default")
                                .path("driver_opts")
                                .path("com.docker.network.bridge.host_binding_ipv4")
                                .asText())
                .as("published ports bind loopback only")
                .isEqualTo("127.0.0.1");
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** The YAML with every ${VAR:-default} replaced by its default, as compose reads it. */
    private static JsonNode withDefaults(String yaml) {
        try {
            return DeployFiles.YAML.readTree(
                    Pattern.compile("\\$\\{[A-Z0-9_]+:-([^}]*)}")
                            .matcher(yaml)
                            .replaceAll(m -> Matcher.quoteReplacement(m.group(1))));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String kafkaInternalBootstrap() {
        return "kafka:9092";
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> out = new HashSet<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private static Set<String> namedVolumeTargets(String service) {
        Set<String> out = new HashSet<>();
        for (String v : strings(service(service).path("volumes"))) {
            String[] parts = v.split(":");
            if (!parts[0].startsWith(".")) {
                out.add(parts[1]);
            }
        }
        return out;
    }

    /** target -> host source, for ./relative bind mounts. */
    private static Map<String, String> bindMounts(String service) {
        Map<String, String> out = new HashMap<>();
        for (String v : strings(service(service).path("volumes"))) {
            String[] parts = v.split(":");
            if (parts[0].startsWith(".")) {
                out.put(parts[1], parts[0]);
            }
        }
        return out;
    }

    private static String shellVar(String script, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "=\"?([^\"\\n]*)\"?$").matcher(script);
        assertThat(m.find()).as("%s= in the script", name).isTrue();
        return m.group(1);
    }
}
