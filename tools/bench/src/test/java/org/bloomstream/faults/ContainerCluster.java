package org.bloomstream.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The cluster tier's topology in containers, all with host networking and every listener on
 * 127.0.0.1 (the engine runs with {@code --bridge=none}; nothing leaves loopback): three KRaft
 * brokers (each broker and controller), a Flink JobManager and two TaskManagers of a session
 * cluster, and the ingest gate. The images are the ones {@code docker/test/docker-up} builds from
 * the project's Dockerfiles. Ports are picked free on this machine, so two runs (or another
 * engineer's tests) do not collide.
 *
 * <p>Faults act on the containers themselves: {@code docker kill --signal KILL} is {@code kill -9}
 * of the JVM (PID 1), {@code docker stop} a broker's orderly shutdown. Testcontainers' reaper is
 * off (no image for it here): {@link #close} removes every container.
 */
final class ContainerCluster implements AutoCloseable {
    static final String FLINK_IMAGE = "bloomstream/flink-job:test";
    static final String INGEST_IMAGE = "bloomstream/ingest:test";
    static final String KAFKA_IMAGE = "local/kafka:4.2.0";

    /** Per container; generous, as the CI machine's two cores are shared. */
    private static final Duration STARTUP = Duration.ofMinutes(4);

    /** The shared checkpoint and savepoint directory: the same path on the host and in Flink. */
    final Path shared;

    final int[] brokerPorts = new int[3];
    final int[] controllerPorts = new int[3];
    final int restPort;
    final int rpcPort;

    final List<GenericContainer<?>> brokers = new ArrayList<>();
    final Map<String, GenericContainer<?>> taskManagers = new LinkedHashMap<>();
    GenericContainer<?> jobManager;
    GenericContainer<?> gate;

    /** Label on every container of the tier: docker/test/docker-up removes leftovers by it. */
    static final String LABEL = "org.bloomstream.tier";

    private final List<GenericContainer<?>> all = new ArrayList<>();

    private <T extends GenericContainer<?>> T track(String name, T c) {
        c.withLabel(LABEL, "cluster").withLabel(LABEL + ".role", name);
        all.add(c);
        return c;
    }

    /** Where {@link #close} writes each container's log; null for none. */
    private final Path logDir;

    ContainerCluster(Path shared, Path logDir) throws IOException {
        this.shared = shared;
        this.logDir = logDir;
        Files.createDirectories(shared);
        // Flink runs as uid 9999 in the image: let it write checkpoints and savepoints here.
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        for (int i = 0; i < 3; i++) {
            brokerPorts[i] = freePort();
            controllerPorts[i] = freePort();
        }
        restPort = freePort();
        rpcPort = freePort();
    }

    /**
     * Skips the calling test ({@code name}: "cluster tier", "compose test") when {@code missing}
     * says why containers cannot run, or when the shared data set is absent. With {@code
     * BLOOMSTREAM_REQUIRE_DOCKER=1} (CI) a missing engine or image fails it instead.
     */
    static void skipUnlessReady(String name, String missing, Path data) {
        if (missing != null) {
            assertThat(System.getenv("BLOOMSTREAM_REQUIRE_DOCKER"))
                    .as("CI requires the " + name + ": %s", missing)
                    .isNotEqualTo("1");
            Assumptions.abort(name + " skipped: " + missing);
        }
        if (!Files.isDirectory(data)) {
            Assumptions.abort(name + " skipped: no shared data set at " + data);
        }
    }

    /** True when a Docker engine answers and the tier's images are there. */
    static String unavailable() {
        // Ask the docker CLI first, with a bound: Testcontainers retries an unreachable engine
        // for minutes before it gives up.
        try {
            Process p =
                    new ProcessBuilder("docker", "info", "--format", "{{.ServerVersion}}")
                            .redirectErrorStream(true)
                            .start();
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "no Docker engine: `docker info` did not answer in 30 s";
            }
            if (p.exitValue() != 0) {
                return "no Docker engine: `docker info` failed (docker/test/docker-up starts one)";
            }
        } catch (IOException e) {
            return "no docker command: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        try {
            if (!DockerClientFactory.instance().isDockerAvailable()) {
                return "no Docker engine (docker/test/docker-up starts one)";
            }
            DockerClient docker = DockerClientFactory.instance().client();
            for (String image : List.of(FLINK_IMAGE, INGEST_IMAGE, KAFKA_IMAGE)) {
                try {
                    docker.inspectImageCmd(image).exec();
                } catch (RuntimeException e) {
                    return "image " + image + " missing (docker/test/docker-up builds it)";
                }
            }
            return null;
        } catch (RuntimeException e) {
            return "no Docker engine: " + e.getMessage();
        }
    }

    String bootstrap() {
        StringJoiner j = new StringJoiner(",");
        for (int p : brokerPorts) {
            j.add("127.0.0.1:" + p);
        }
        return j.toString();
    }

    /**
     * Starts the brokers (each on its own thread: a KRaft quorum needs a majority to come up) and
     * waits until each logged that it started; then the JobManager and the TaskManagers, and waits
     * until Flink's REST API answers with both TaskManagers registered.
     */
    void startBrokersAndFlink() throws Exception {
        addBrokers();
        addFlink();
        startTogether(brokers);
        jobManager.start();
        startTogether(List.copyOf(taskManagers.values()));
        FlinkRest rest = new FlinkRest(restPort);
        long deadline = System.nanoTime() + STARTUP.toNanos();
        while (!(rest.up() && rest.taskManagers() == 2)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "the Flink cluster did not come up with 2 TaskManagers in " + STARTUP);
            }
            Thread.sleep(500);
        }
    }

    /** Docker reports the container running: readiness is checked through Flink's REST API. */
    private static final org.testcontainers.containers.wait.strategy.WaitStrategy STARTED =
            new org.testcontainers.containers.wait.strategy.AbstractWaitStrategy() {
                @Override
                protected void waitUntilReady() {}
            };

    private static void startTogether(List<GenericContainer<?>> starting) throws Exception {
        java.util.concurrent.ExecutorService pool =
                java.util.concurrent.Executors.newFixedThreadPool(starting.size());
        try {
            List<java.util.concurrent.Future<?>> started = new ArrayList<>();
            for (GenericContainer<?> c : starting) {
                started.add(pool.submit(c::start));
            }
            for (java.util.concurrent.Future<?> f : started) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void addBrokers() {
        StringJoiner voters = new StringJoiner(",");
        for (int i = 0; i < 3; i++) {
            voters.add((i + 1) + "@127.0.0.1:" + controllerPorts[i]);
        }
        for (int i = 0; i < 3; i++) {
            GenericContainer<?> b =
                    new GenericContainer<>(DockerImageName.parse(KAFKA_IMAGE))
                            .withNetworkMode("host")
                            .withEnv("CLUSTER_ID", "bloomstream-cluster-tier")
                            .withEnv("KAFKA_NODE_ID", String.valueOf(i + 1))
                            .withEnv("KAFKA_PROCESS_ROLES", "broker,controller")
                            .withEnv("KAFKA_CONTROLLER_QUORUM_VOTERS", voters.toString())
                            .withEnv(
                                    "KAFKA_LISTENERS",
                                    "PLAINTEXT://127.0.0.1:"
                                            + brokerPorts[i]
                                            + ",CONTROLLER://127.0.0.1:"
                                            + controllerPorts[i])
                            .withEnv(
                                    "KAFKA_ADVERTISED_LISTENERS",
                                    "PLAINTEXT://127.0.0.1:" + brokerPorts[i])
                            .withEnv("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
                            .withEnv("KAFKA_INTER_BROKER_LISTENER_NAME", "PLAINTEXT")
                            .withEnv(
                                    "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
                                    "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT")
                            .withEnv("KAFKA_LOG_DIRS", "/var/lib/kafka/data")
                            // replication 3, min ISR 2: one broker may be down without stopping
                            // transactional writes
                            .withEnv("KAFKA_DEFAULT_REPLICATION_FACTOR", "3")
                            .withEnv("KAFKA_MIN_INSYNC_REPLICAS", "2")
                            .withEnv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3")
                            .withEnv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "3")
                            .withEnv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2")
                            .withEnv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
                            .withEnv("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
                            .withEnv("KAFKA_MESSAGE_MAX_BYTES", "16777216")
                            .withEnv("KAFKA_REPLICA_FETCH_MAX_BYTES", "16777216")
                            .withEnv("KAFKA_HEAP_OPTS", "-Xmx256m -Xms64m")
                            .waitingFor(
                                    Wait.forLogMessage(".*Kafka Server started.*", 1)
                                            .withStartupTimeout(STARTUP));
            brokers.add(track("broker-" + (i + 1), b));
        }
    }

    /** The Flink configuration of the session cluster, as FLINK_PROPERTIES. */
    private String flinkProperties(String extra) {
        return String.join(
                        "\n",
                        "jobmanager.rpc.address: 127.0.0.1",
                        "jobmanager.rpc.port: " + rpcPort,
                        "jobmanager.bind-host: 127.0.0.1",
                        "taskmanager.bind-host: 127.0.0.1",
                        "taskmanager.host: 127.0.0.1",
                        "rest.address: 127.0.0.1",
                        "rest.bind-address: 127.0.0.1",
                        "rest.port: " + restPort,
                        "jobmanager.memory.process.size: 900m",
                        "taskmanager.memory.process.size: 1100m",
                        "taskmanager.memory.managed.size: 32m",
                        "taskmanager.numberOfTaskSlots: 2",
                        "cluster.evenly-spread-out-slots: true",
                        // a killed TaskManager is noticed in seconds, not the default 50 s
                        "heartbeat.interval: 1000",
                        // 2 shared cores: Flink's RPC start-up and ask timeouts (Pekko's remoting
                        // keeps a fixed 10 s: see flink())
                        "pekko.startup-timeout: 120 s",
                        "pekko.ask.timeout: 60 s",
                        "heartbeat.timeout: 8000",
                        "restart-strategy.type: fixed-delay",
                        "restart-strategy.fixed-delay.attempts: 30",
                        "restart-strategy.fixed-delay.delay: 2 s",
                        "classloader.parent-first-patterns.additional:"
                                + " ai.onnxruntime.;ai.djl.;com.sun.jna.",
                        "execution.checkpointing.dir: file://" + shared.resolve("checkpoints"),
                        "execution.checkpointing.savepoint-dir: file://"
                                + shared.resolve("savepoints"),
                        extra)
                + "\n";
    }

    private GenericContainer<?> flink(String... command) {
        return new GenericContainer<>(DockerImageName.parse(FLINK_IMAGE))
                .withNetworkMode("host")
                // Pekko's remoting gives up after a fixed 10 s (pekko.remote.classic
                // .startup-timeout, which Flink does not expose); on a machine whose cores are
                // all busy a JVM can miss that. Docker restarts a Flink process that exits with
                // an error, as a supervisor would (not one that `docker kill` ended), and
                // readiness is Flink's REST API, not a log line that a restart would hide.
                .withCreateContainerCmdModifier(
                        cmd ->
                                cmd.getHostConfig()
                                        .withRestartPolicy(
                                                com.github.dockerjava.api.model.RestartPolicy
                                                        .onFailureRestart(5)))
                .waitingFor(STARTED)
                .withFileSystemBind(shared.toString(), shared.toString())
                .withEnv("OPT_OUT_TRACKING", "true")
                .withCommand(command);
    }

    /** The JobManager and two TaskManagers ({@code tm-1}, {@code tm-2}). */
    private void addFlink() {
        jobManager = flink("jobmanager").withEnv("FLINK_PROPERTIES", flinkProperties(""));
        track("jobmanager", jobManager);
        for (String id : List.of("tm-1", "tm-2")) {
            GenericContainer<?> tm =
                    flink("taskmanager")
                            .withEnv(
                                    "FLINK_PROPERTIES",
                                    flinkProperties("taskmanager.resource-id: " + id));
            taskManagers.put(id, track(id, tm));
        }
    }

    /** The ingest gate: cells.raw to cells.accepted or cells.dead, exactly once. */
    void startGate() {
        gate =
                new GenericContainer<>(DockerImageName.parse(INGEST_IMAGE))
                        .withNetworkMode("host")
                        .withEnv("JAVA_TOOL_OPTIONS", "-Xmx256m")
                        .withCommand(
                                "ingest",
                                "gate",
                                "--bootstrap-servers",
                                bootstrap(),
                                "--gate-state-dir",
                                "/var/lib/bloomstream/gate-state");
        track("gate", gate);
        gate.start();
    }

    /** {@code docker kill --signal KILL}: kill -9 of the container's JVM. */
    static void kill9(GenericContainer<?> c) {
        DockerClientFactory.instance()
                .client()
                .killContainerCmd(c.getContainerId())
                .withSignal("KILL")
                .exec();
    }

    /** {@code docker stop}: SIGTERM, the process's orderly shutdown. */
    static void stop(GenericContainer<?> c) {
        DockerClientFactory.instance()
                .client()
                .stopContainerCmd(c.getContainerId())
                .withTimeout(30)
                .exec();
    }

    /** {@code docker start} of a stopped or killed container: same disk, same configuration. */
    static void restart(GenericContainer<?> c) {
        try {
            DockerClientFactory.instance().client().startContainerCmd(c.getContainerId()).exec();
        } catch (com.github.dockerjava.api.exception.NotModifiedException e) {
            // already running again (restarted by its restart policy)
        }
    }

    /** Everything the container wrote to stdout and stderr, across restarts. */
    static String logs(GenericContainer<?> c) {
        return c.getLogs();
    }

    /**
     * Removes every container, after writing its log to {@code logDir/<role>.log} (all its runs: a
     * killed and restarted TaskManager's log holds both).
     */
    @Override
    public void close() {
        for (GenericContainer<?> c : all) {
            try {
                if (logDir != null && c.getContainerId() != null) {
                    Files.createDirectories(logDir);
                    String role = c.getLabels().get(LABEL + ".role");
                    Files.writeString(logDir.resolve(role + ".log"), c.getLogs());
                }
            } catch (IOException | RuntimeException e) {
                // the log is a diagnosis aid; removing the container matters more
            }
            try {
                c.stop();
            } catch (RuntimeException e) {
                // keep removing the others
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
