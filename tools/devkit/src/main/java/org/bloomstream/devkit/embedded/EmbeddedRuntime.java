package org.bloomstream.devkit.embedded;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.streams.KafkaStreams;
import org.bloomstream.embedded.kafka.EmbeddedKafka;
import org.bloomstream.embedded.kafka.SaslSslListener;
import org.bloomstream.ingest.gate.GateConfig;
import org.bloomstream.ingest.gate.IngestGate;
import org.bloomstream.ingest.live.LiveAccess;
import org.bloomstream.ingest.live.LiveServer;
import org.bloomstream.ingest.live.LiveView;
import org.bloomstream.job.BloomstreamJob;
import org.bloomstream.job.JobConfig;
import org.bloomstream.job.LocalClusterSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole system in one JVM: an embedded KRaft broker with every registry topic, the ingest gate
 * (Kafka Streams) and the Flink job on a MiniCluster. What {@code bloomstream demo} and the
 * end-to-end tests run; the same job and gate run on real clusters with configuration only.
 *
 * <p>The job can be stopped with a savepoint and started again from it ({@link
 * #stopJobWithSavepoint}, {@link #startJob}), possibly as another version of the job, and the
 * broker can be stopped and started under the running gate and job ({@link EmbeddedKafka}): what
 * the fault-injection suite does to it.
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
     * @param jobFactory builds the job from its configuration ({@link BloomstreamJob#kafka})
     * @param flinkConfig MiniCluster settings over the defaults (restart strategy, ...)
     * @param brokerConfig broker settings over the embedded defaults (listeners, timeouts, ...)
     * @param secure a SASL_SSL listener that every client must use (the runtime's admin and gate
     *     included; the job's settings come from its {@link JobConfig}), null for plaintext
     * @param gate what the ingest gate accepts
     */
    public record Options(
            int partitions,
            Function<String, JobConfig> job,
            boolean restartOnFailure,
            Path workDir,
            int metricsPort,
            int livePort,
            Function<JobConfig, BloomstreamJob> jobFactory,
            Map<String, String> flinkConfig,
            Map<String, String> brokerConfig,
            SaslSslListener secure,
            GateConfig gate) {
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
                Path workDir,
                int metricsPort,
                int livePort) {
            this(
                    partitions,
                    job,
                    restartOnFailure,
                    workDir,
                    metricsPort,
                    livePort,
                    BloomstreamJob::kafka,
                    Map.of(),
                    Map.of(),
                    null,
                    GateConfig.DEFAULT);
        }

        public Options(
                int partitions,
                Function<String, JobConfig> job,
                boolean restartOnFailure,
                Path workDir) {
            this(partitions, job, restartOnFailure, workDir, 0);
        }

        public Options withJobFactory(Function<JobConfig, BloomstreamJob> f) {
            return new Options(
                    partitions,
                    job,
                    restartOnFailure,
                    workDir,
                    metricsPort,
                    livePort,
                    f,
                    flinkConfig,
                    brokerConfig,
                    secure,
                    gate);
        }

        public Options withFlinkConfig(Map<String, String> c) {
            return new Options(
                    partitions,
                    job,
                    restartOnFailure,
                    workDir,
                    metricsPort,
                    livePort,
                    jobFactory,
                    c,
                    brokerConfig,
                    secure,
                    gate);
        }

        public Options withBroker(Map<String, String> config, SaslSslListener security) {
            return new Options(
                    partitions,
                    job,
                    restartOnFailure,
                    workDir,
                    metricsPort,
                    livePort,
                    jobFactory,
                    flinkConfig,
                    config,
                    security,
                    gate);
        }

        public Options withGate(GateConfig g) {
            return new Options(
                    partitions,
                    job,
                    restartOnFailure,
                    workDir,
                    metricsPort,
                    livePort,
                    jobFactory,
                    flinkConfig,
                    brokerConfig,
                    secure,
                    g);
        }
    }

    private final Options options;
    private final Path workDir;
    private final EmbeddedKafka kafka;
    private final KafkaStreams gate;
    private final JobConfig jobConfig;
    private volatile JobClient job;
    private final AtomicLong gateThreadDeaths;
    private volatile LiveServer live;

    private EmbeddedRuntime(
            Options options,
            EmbeddedKafka kafka,
            KafkaStreams gate,
            JobConfig cfg,
            AtomicLong gateThreadDeaths) {
        this.options = options;
        this.gateThreadDeaths = gateThreadDeaths;
        this.workDir = options.workDir();
        this.kafka = kafka;
        this.gate = gate;
        this.jobConfig = cfg;
    }

    public static EmbeddedRuntime start(Options options) throws Exception {
        Path workDir = options.workDir();
        Files.createDirectories(workDir);
        EmbeddedKafka kafka = null;
        KafkaStreams gate = null;
        EmbeddedRuntime rt = null;
        AtomicLong gateThreadDeaths = new AtomicLong();
        try {
            kafka =
                    EmbeddedKafka.start(
                            workDir.resolve("kafka"), options.brokerConfig(), options.secure());
            kafka.createTopics(options.partitions());
            LOG.info("embedded Kafka at {}", kafka.bootstrapServers());

            // The same start as the ingest service: waits for RUNNING, replaces a dead thread.
            gate =
                    IngestGate.start(
                            options.gate(),
                            IngestGate.streamsConfig(
                                    kafka.bootstrapServers(),
                                    "bloomstream-gate",
                                    workDir.resolve("gate"),
                                    kafka.clientSecurity()),
                            Duration.ofSeconds(60),
                            null,
                            e -> gateThreadDeaths.incrementAndGet());

            JobConfig cfg = options.job().apply(kafka.bootstrapServers());
            rt = new EmbeddedRuntime(options, kafka, gate, cfg, gateThreadDeaths);
            rt.startJob(null, options.jobFactory());
            if (options.livePort() >= 0) {
                // The same page the ingest service serves; the topics are new, so from the start.
                rt.live =
                        LiveServer.startWithConsumer(
                                "127.0.0.1",
                                options.livePort(),
                                kafka.bootstrapServers(),
                                kafka.clientSecurity(),
                                null,
                                LiveAccess.loopback("127.0.0.1"));
                LOG.info("live page at {}", rt.live.uri());
            }
            return rt;
        } catch (Exception e) {
            if (rt != null) {
                // The job may already run (the live page starts after it): stop it too.
                rt.close();
                throw e;
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

    /**
     * Starts the job on a new MiniCluster, from a savepoint or retained checkpoint if one is given.
     * The previous job must have stopped ({@link #stopJobWithSavepoint}).
     *
     * @param restorePath savepoint or checkpoint to restore, null for a fresh start (committed
     *     Kafka offsets, else the beginning)
     * @param factory the job to run: the same one, or a new version of it
     */
    public synchronized void startJob(
            String restorePath, Function<JobConfig, BloomstreamJob> factory) throws Exception {
        // Not getJobStatus(): a stopped job's MiniCluster is gone and cannot answer it.
        if (job != null && !job.getJobExecutionResult().isDone()) {
            throw new IllegalStateException("the job is still running");
        }
        Configuration c =
                miniClusterConfig(
                        Math.max(jobConfig.parallelism(), jobConfig.decodeParallelism()),
                        options.restartOnFailure(),
                        options.metricsPort());
        options.flinkConfig().forEach(c::setString);
        if (restorePath != null) {
            // Every state in the savepoint must find its operator (by uid): a dropped stateful
            // operator is an error, not a silent loss.
            SavepointRestoreSettings.toConfiguration(
                    SavepointRestoreSettings.forPath(restorePath, false), c);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(c);
        factory.apply(jobConfig).build(env);
        job = env.executeAsync("bloomstream");
    }

    /**
     * Stops the job with a savepoint (canonical format, so another state backend or job version can
     * read it) under {@code dir}: the sinks commit everything up to it, the sources stop at it.
     *
     * @return the savepoint's path
     */
    public synchronized String stopJobWithSavepoint(Path dir, Duration timeout) throws Exception {
        String path =
                job.stopWithSavepoint(false, dir.toUri().toString(), SavepointFormatType.CANONICAL)
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        // The MiniCluster goes down with its job; wait for that before a new one starts.
        job.getJobExecutionResult().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return path;
    }

    /** A MiniCluster bound to loopback, sized for one slot per parallel pipeline. */
    static Configuration miniClusterConfig(
            int parallelism, boolean restartOnFailure, int metricsPort) {
        Configuration c = new Configuration();
        c.setString("parallelism.default", String.valueOf(parallelism));
        c.setString("taskmanager.numberOfTaskSlots", String.valueOf(parallelism));
        LocalClusterSettings.applyTo(c);
        c.setString("taskmanager.memory.managed.size", "64m");
        if (metricsPort > 0) {
            // The exposition a Flink cluster's reporter gives (see docker/ and k8s/), but on
            // loopback only: Flink's own reporter has no bind address and listens everywhere.
            c.setString(
                    "metrics.reporter.prom.factory.class",
                    LoopbackPrometheusReporter.Factory.class.getName());
            c.setString("metrics.reporter.prom.host", "127.0.0.1");
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

    /** Gate stream threads that died of an uncaught exception (and were replaced) so far. */
    public long gateThreadDeaths() {
        return gateThreadDeaths.get();
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    /** The current job (a new one after {@link #startJob}). */
    public JobClient job() {
        return job;
    }

    /** The gate, for its state and metrics. */
    public KafkaStreams gate() {
        return gate;
    }

    public JobConfig jobConfig() {
        return jobConfig;
    }

    public KafkaStreams.State gateState() {
        return gate.state();
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
                // A job stopped with a savepoint took its MiniCluster with it: nothing to cancel.
                if (!job.getJobExecutionResult().isDone()
                        && !job.getJobStatus()
                                .get(10, TimeUnit.SECONDS)
                                .isGloballyTerminalState()) {
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
