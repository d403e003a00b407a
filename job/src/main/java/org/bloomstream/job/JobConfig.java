package org.bloomstream.job;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.bloomstream.aggregation.alert.AlertPolicy;
import org.bloomstream.inference.batch.BatchPolicy;
import org.bloomstream.inference.drift.DriftSettings;
import org.bloomstream.inference.image.AlphaPolicy;
import org.bloomstream.inference.image.ImageLimits;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.schemas.kafka.KafkaSecurity;

/**
 * Everything the Flink job needs, parsed once (by the CLI or a test) and immutable afterwards.
 * {@link #defaults(String)} documents the defaults; {@link Builder} changes them. Not shipped to
 * the task managers: operators receive only the pieces they need.
 *
 * @param bootstrapServers Kafka bootstrap servers
 * @param groupId consumer group of the job's Kafka sources
 * @param transactionalIdPrefix prefix of the Kafka sink transactions; unique per job deployment
 * @param parallelism parallelism of the model stage and everything after it
 * @param decodeParallelism parallelism of the source and the decode-and-resize stage, which runs in
 *     its own threads ahead of the model so that CPU decoding can keep a GPU fed
 * @param checkpointInterval checkpoint interval: with exactly-once, also the latency floor of
 *     everything the job writes to Kafka
 * @param guarantee Kafka sink delivery guarantee
 * @param embedderModel the ONNX embedder (its manifest sits next to it)
 * @param execution ONNX Runtime settings
 * @param batch micro-batching policy
 * @param head cell-type head file (any kind: knn, linear, nearest-centroid)
 * @param milModel MIL model manifest (its ONNX graphs sit next to it)
 * @param alertPolicy alert and specimen-closing policy
 * @param imageLimits what a decodable crop may be
 * @param alphaPolicy what happens to a crop's alpha channel: dropped, as DinoBloom's Pillow
 *     preprocessing does (the default), or composited on white; every classified cell says which
 * @param emitEmbeddings whether {@code cells.classified} carries the embedding vectors
 * @param unknownOverrides thresholds for unknown cells over the head file's
 * @param checkpointing state backend, checkpoint and savepoint storage, barrier alignment
 * @param kafkaSecurity TLS and SASL settings of every Kafka source and sink
 * @param transactionTimeout {@code transaction.timeout.ms} of the exactly-once sinks: must exceed
 *     the longest checkpoint plus the longest restart, or a transaction the broker aborted on
 *     timeout loses its records; must stay at or below the broker's {@code
 *     transaction.max.timeout.ms} (15 min by default)
 * @param pseudonyms keyed-HMAC pseudonyms for the ids on topics that leave the lab; {@link
 *     Pseudonyms#OFF} for none
 * @param drift the per-scanner drift watch's window and alert threshold (null: {@link
 *     DriftSettings#DEFAULTS}); it runs only when the head file carries a drift profile
 * @param resizeInGraph resize and normalise in the model's graph ({@code ResizeGraph}): decode
 *     keeps each crop at its decoded size and the model call resizes it, on the accelerator with a
 *     GPU provider; off (the default), decode resizes on the CPU with Pillow's filter
 */
public record JobConfig(
        String bootstrapServers,
        String groupId,
        String transactionalIdPrefix,
        int parallelism,
        int decodeParallelism,
        Duration checkpointInterval,
        DeliveryGuarantee guarantee,
        Path embedderModel,
        ExecutionConfig execution,
        BatchPolicy batch,
        Path head,
        Path milModel,
        AlertPolicy alertPolicy,
        ImageLimits imageLimits,
        AlphaPolicy alphaPolicy,
        boolean emitEmbeddings,
        UnknownOverrides unknownOverrides,
        CheckpointSettings checkpointing,
        KafkaSecurity kafkaSecurity,
        Duration transactionTimeout,
        Pseudonyms pseudonyms,
        DriftSettings drift,
        boolean resizeInGraph) {

    /** The fixture models shipped in the repository, relative to its root. */
    public static final Path FIXTURE_EMBEDDER = Path.of("models/fixtures/vit-tiny.onnx");

    /**
     * The head the demo and the job serve by default: a linear probe fitted on synthetic cells
     * ({@code bloomstream fixtures}).
     */
    public static final Path FIXTURE_CELL_HEAD = Path.of("models/fixtures/vit-tiny-linear.json");

    public static final Path FIXTURE_MIL = Path.of("models/fixtures/mil-vit-tiny.json");

    public JobConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        if (parallelism < 1 || decodeParallelism < 1) {
            throw new IllegalArgumentException("parallelism and decodeParallelism must be >= 1");
        }
        if (unknownOverrides == null) {
            unknownOverrides = UnknownOverrides.NONE;
        }
        if (checkpointInterval.toMillis() < 10) {
            throw new IllegalArgumentException("checkpointInterval must be at least 10 ms");
        }
        if (checkpointing == null) {
            checkpointing = CheckpointSettings.DEFAULT;
        }
        if (kafkaSecurity == null) {
            kafkaSecurity = KafkaSecurity.NONE;
        }
        if (transactionTimeout == null) {
            transactionTimeout = DEFAULT_TRANSACTION_TIMEOUT;
        }
        if (transactionTimeout.compareTo(checkpointInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException(
                    "the Kafka transaction timeout must be well above the checkpoint interval");
        }
        if (pseudonyms == null) {
            pseudonyms = Pseudonyms.OFF;
        }
        if (drift == null) {
            drift = DriftSettings.DEFAULTS;
        }
    }

    /**
     * Ten minutes: a checkpoint and a restart must fit, and the broker's default maximum (15 min)
     * still allows it.
     */
    public static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofMinutes(10);

    /**
     * Defaults: group {@code bloomstream-job}, parallelism 2 (decode too), checkpoints every 2 s,
     * exactly-once sinks, the fixture models, batches of 16 crops or 50 ms, ORT choosing its thread
     * count, the default alert policy and image limits, no embeddings on the wire, heap state with
     * checkpoints in memory, plaintext Kafka, 10-minute sink transactions, no pseudonyms.
     */
    public static JobConfig defaults(String bootstrapServers) {
        return new JobConfig(
                bootstrapServers,
                "bloomstream-job",
                "bloomstream",
                2,
                2,
                Duration.ofSeconds(2),
                DeliveryGuarantee.EXACTLY_ONCE,
                FIXTURE_EMBEDDER,
                ExecutionConfig.DEFAULT,
                BatchPolicy.DEFAULT,
                FIXTURE_CELL_HEAD,
                FIXTURE_MIL,
                AlertPolicy.DEFAULT,
                ImageLimits.DEFAULT,
                AlphaPolicy.DROP,
                false,
                UnknownOverrides.NONE,
                CheckpointSettings.DEFAULT,
                KafkaSecurity.NONE,
                DEFAULT_TRANSACTION_TIMEOUT,
                Pseudonyms.OFF,
                DriftSettings.DEFAULTS,
                false);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Copy-and-change for the few settings callers override. */
    public static final class Builder {
        private String bootstrapServers;
        private String groupId;
        private String transactionalIdPrefix;
        private int parallelism;
        private int decodeParallelism;
        private Duration checkpointInterval;
        private DeliveryGuarantee guarantee;
        private Path embedderModel;
        private ExecutionConfig execution;
        private BatchPolicy batch;
        private Path head;
        private Path milModel;
        private AlertPolicy alertPolicy;
        private ImageLimits imageLimits;
        private AlphaPolicy alphaPolicy;
        private boolean emitEmbeddings;
        private UnknownOverrides unknownOverrides;
        private CheckpointSettings checkpointing;
        private KafkaSecurity kafkaSecurity;
        private Duration transactionTimeout;
        private Pseudonyms pseudonyms;
        private DriftSettings drift;
        private boolean resizeInGraph;

        private Builder(JobConfig c) {
            bootstrapServers = c.bootstrapServers;
            groupId = c.groupId;
            transactionalIdPrefix = c.transactionalIdPrefix;
            parallelism = c.parallelism;
            decodeParallelism = c.decodeParallelism;
            checkpointInterval = c.checkpointInterval;
            guarantee = c.guarantee;
            embedderModel = c.embedderModel;
            execution = c.execution;
            batch = c.batch;
            head = c.head;
            milModel = c.milModel;
            alertPolicy = c.alertPolicy;
            imageLimits = c.imageLimits;
            alphaPolicy = c.alphaPolicy;
            emitEmbeddings = c.emitEmbeddings;
            unknownOverrides = c.unknownOverrides;
            checkpointing = c.checkpointing;
            kafkaSecurity = c.kafkaSecurity;
            transactionTimeout = c.transactionTimeout;
            pseudonyms = c.pseudonyms;
            drift = c.drift;
            resizeInGraph = c.resizeInGraph;
        }

        public Builder groupId(String v) {
            groupId = v;
            return this;
        }

        public Builder transactionalIdPrefix(String v) {
            transactionalIdPrefix = v;
            return this;
        }

        public Builder parallelism(int v) {
            parallelism = v;
            return this;
        }

        public Builder decodeParallelism(int v) {
            decodeParallelism = v;
            return this;
        }

        public Builder checkpointInterval(Duration v) {
            checkpointInterval = v;
            return this;
        }

        public Builder guarantee(DeliveryGuarantee v) {
            guarantee = v;
            return this;
        }

        public Builder embedderModel(Path v) {
            embedderModel = v;
            return this;
        }

        public Builder execution(ExecutionConfig v) {
            execution = v;
            return this;
        }

        public Builder batch(BatchPolicy v) {
            batch = v;
            return this;
        }

        public Builder head(Path v) {
            head = v;
            return this;
        }

        public Builder milModel(Path v) {
            milModel = v;
            return this;
        }

        public Builder alertPolicy(AlertPolicy v) {
            alertPolicy = v;
            return this;
        }

        public Builder imageLimits(ImageLimits v) {
            imageLimits = v;
            return this;
        }

        public Builder alphaPolicy(AlphaPolicy v) {
            alphaPolicy = v;
            return this;
        }

        public Builder emitEmbeddings(boolean v) {
            emitEmbeddings = v;
            return this;
        }

        public Builder unknownOverrides(UnknownOverrides v) {
            unknownOverrides = v;
            return this;
        }

        public Builder checkpointing(CheckpointSettings v) {
            checkpointing = v;
            return this;
        }

        public Builder kafkaSecurity(KafkaSecurity v) {
            kafkaSecurity = v;
            return this;
        }

        public Builder transactionTimeout(Duration v) {
            transactionTimeout = v;
            return this;
        }

        public Builder pseudonyms(Pseudonyms v) {
            pseudonyms = v;
            return this;
        }

        public Builder drift(DriftSettings v) {
            drift = v;
            return this;
        }

        public Builder resizeInGraph(boolean v) {
            resizeInGraph = v;
            return this;
        }

        public JobConfig build() {
            return new JobConfig(
                    bootstrapServers,
                    groupId,
                    transactionalIdPrefix,
                    parallelism,
                    decodeParallelism,
                    checkpointInterval,
                    guarantee,
                    embedderModel,
                    execution,
                    batch,
                    head,
                    milModel,
                    alertPolicy,
                    imageLimits,
                    alphaPolicy,
                    emitEmbeddings,
                    unknownOverrides,
                    checkpointing,
                    kafkaSecurity,
                    transactionTimeout,
                    pseudonyms,
                    drift,
                    resizeInGraph);
        }
    }
}
