package org.bloomstream.app.embedded;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.streams.KafkaStreams;
import org.bloomstream.app.job.BloomstreamJob;
import org.bloomstream.app.job.JobConfig;
import org.bloomstream.ingest.gate.GateConfig;
import org.bloomstream.ingest.gate.IngestGate;
import org.bloomstream.ingest.kafka.EmbeddedKafka;
import org.bloomstream.ingest.live.LiveServer;
import org.bloomstream.ingest.live.LiveView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system in one JVM: an embedded KRaft broker with every registry topic, the ingest gate
 * (Kafka Streams) and the Flink job on a MiniCluster. What {@code bloomstream demo} and the
 * end-to-end tests run; the same job and gate run on real clusters with configuration only.
 */
public final class EmbeddedRuntime implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRuntime.class);

    /**
     * How to start.
     *
     * @param partitions partitions per topic
     * @param job the job's configuration, given the broker's bootstrap address
     * @param restartOnFailure restart the job on failure (demo) or let failures surface (tests)
     * @param workDir broker logs and Streams state; deleted on close
     * @param metricsPort port of Flink's Prometheus endpoint ({@code /metrics}), 0 for none
     * @param livePort port of the live page on loopback ({@link LiveServer}), 0 for any free port,
     *     negative for none
     */
    public record Options(
            int partitions,
            Function<String, JobConfig> job,
            boolean restartOnFailure,
            Path workDir,
            int metricsPort,
            int livePort) {
        public Options(
                int partitions,
                Function<String, JobConfig> job,
                boolean restartOnFailure,
                Path workDir,
                int metricsPort) {
            this(partitions, job, restartOnFailure, workDir, metricsPort, -1);
        }

        public Options(
                int partitions,
                Function<String, JobConfig> job,
                boolean restartOnFailure,
                Path workDir) {
            this(partitions, job, restartOnFailure, workDir, 0, -1);
        }
    }

    private final Path workDir;
    private final EmbeddedKafka kafka;
    private final KafkaStreams gate;
    private final JobClient job;
    private final JobConfig jobConfig;
    private final AtomicLong gateThreadDeaths;
    private final LiveServer live;

    private EmbeddedRuntime(
            Path workDir,
            EmbeddedKafka kafka,
            KafkaStreams gate,
            JobClient job,
            JobConfig cfg,
            AtomicLong gateThreadDeaths,
            LiveServer live) {
        this.gateThreadDeaths = gateThreadDeaths;
        this.workDir = workDir;
        this.kafka = kafka;
        this.gate = gate;
        this.job = job;
        this.jobConfig = cfg;
        this.live = live;
    }

    public static EmbeddedRuntime start(Options options) throws Exception {
        Path workDir = options.workDir();
        Files.createDirectories(workDir);
        EmbeddedKafka kafka = null;
        KafkaStreams gate = null;
        AtomicLong gateThreadDeaths = new AtomicLong();
        LiveServer live = null;
        try {
            kafka = EmbeddedKafka.start(workDir.resolve("kafka"));
            kafka.createTopics(options.partitions());
            LOG.info("embedded Kafka at {}", kafka.bootstrapServers());

            // The same start as the ingest service: waits for RUNNING, replaces a dead thread.
            gate =
                    IngestGate.start(
                            GateConfig.DEFAULT,
                            IngestGate.streamsConfig(
                                    kafka.bootstrapServers(),
                                    "bloomstream-gate",
                                    workDir.resolve("gate")),
                            Duration.ofSeconds(60),
                            null,
                            e -> gateThreadDeaths.incrementAndGet());

            JobConfig cfg = options.job().apply(kafka.bootstrapServers());
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.createLocalEnvironment(
                            miniClusterConfig(
                                    Math.max(cfg.parallelism(), cfg.decodeParallelism()),
                                    options.restartOnFailure(),
                                    options.metricsPort()));
            BloomstreamJob.kafka(cfg).build(env);
            if (options.livePort() >= 0) {
                // The same page the ingest service serves; the topics are new, so from the start.
                live =
                        LiveServer.startWithConsumer(
                                "127.0.0.1", options.livePort(), kafka.bootstrapServers(), null);
                LOG.info("live page at {}", live.uri());
            }
            JobClient job = env.executeAsync("bloomstream");
            return new EmbeddedRuntime(workDir, kafka, gate, job, cfg, gateThreadDeaths, live);
        } catch (Exception e) {
            if (live != null) {
                live.close();
            }
            if (gate != null) {
                gate.close(Duration.ofSeconds(10));
            }
            if (kafka != null) {
                kafka.close();
            }
            throw e;
        }
    }

    /** A MiniCluster bound to loopback, sized for one slot per parallel pipeline. */
    static Configuration miniClusterConfig(
            int parallelism, boolean restartOnFailure, int metricsPort) {
        Configuration c = new Configuration();
        c.setString("parallelism.default", String.valueOf(parallelism));
        c.setString("taskmanager.numberOfTaskSlots", String.valueOf(parallelism));
        c.setString("rest.bind-address", "127.0.0.1");
        c.setString("rest.address", "127.0.0.1");
        c.setString("jobmanager.rpc.address", "127.0.0.1");
        c.setString("jobmanager.bind-host", "127.0.0.1");
        c.setString("taskmanager.bind-host", "127.0.0.1");
        c.setString("taskmanager.host", "127.0.0.1");
        c.setString("taskmanager.memory.managed.size", "64m");
        if (metricsPort > 0) {
            // The same reporter a Flink cluster uses (see docker/ and k8s/): one scrape target.
            c.setString(
                    "metrics.reporter.prom.factory.class",
                    "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
            c.setString("metrics.reporter.prom.port", String.valueOf(metricsPort));
            c.setString("metrics.reporter.prom.interval", "1 s");
        }
        if (restartOnFailure) {
            c.setString("restart-strategy.type", "fixed-delay");
            c.setString("restart-strategy.fixed-delay.attempts", "3");
            c.setString("restart-strategy.fixed-delay.delay", "2 s");
        } else {
            c.setString("restart-strategy.type", "none");
        }
        return c;
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** A free loopback port, for the metrics endpoint. */
    public static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket s =
                new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** The live page's address, when {@link Options#livePort()} asked for one. */
    public Optional<URI> liveUri() {
        return Optional.ofNullable(live).map(LiveServer::uri);
    }

    /** The live page's view, when {@link Options#livePort()} asked for one. */
    public Optional<LiveView> liveView() {
        return Optional.ofNullable(live).map(LiveServer::view);
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    public JobClient job() {
        return job;
    }

    public JobConfig jobConfig() {
        return jobConfig;
    }

    public KafkaStreams.State gateState() {
        return gate.state();
    }

    /** Gate stream threads that died of an uncaught exception (and were replaced) so far. */
    public long gateThreadDeaths() {
        return gateThreadDeaths.get();
    }

    /** Throws if the job has stopped (it never finishes on its own: its sources are unbounded). */
    public void checkJobAlive() throws Exception {
        var status = job.getJobStatus().get(10, TimeUnit.SECONDS);
        if (status.isGloballyTerminalState()) {
            var result = job.getJobExecutionResult();
            try {
                result.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("the Flink job stopped: " + status, e);
            }
            throw new IllegalStateException("the Flink job stopped: " + status);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            if (live != null) {
                try {
                    live.close();
                } catch (Exception e) {
                    LOG.warn("stopping the live page failed: {}", e.toString());
                }
            }
            try {
                if (!job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
                    job.cancel().get(30, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                LOG.warn("cancelling the job failed: {}", e.toString());
            }
            gate.close(Duration.ofSeconds(10));
        } finally {
            kafka.close();
            deleteQuietly(workDir);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception e) {
            LOG.debug("could not delete {}: {}", dir, e.toString());
        }
    }
}
