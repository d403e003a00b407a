package org.bloomstream.job.cli;

import java.nio.file.Path;
import java.time.Duration;
import org.bloomstream.aggregation.alert.AlertPolicy;
import org.bloomstream.inference.batch.BatchPolicy;
import org.bloomstream.inference.drift.DriftSettings;
import org.bloomstream.inference.image.AlphaPolicy;
import org.bloomstream.job.JobConfig;
import org.bloomstream.job.Pseudonyms;
import org.bloomstream.job.UnknownOverrides;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Job options shared by {@code demo} and {@code job}; turned into one {@link JobConfig}. */
public final class PipelineOptions {
    @Mixin EmbedderOptions embedder = new EmbedderOptions();

    @Mixin CheckpointOptions checkpoints = new CheckpointOptions();

    @Option(
            names = "--pseudonym-key-file",
            paramLabel = "FILE",
            description =
                    "Replace specimen, scan and cell ids on the --pseudonym-topics by keyed-HMAC"
                            + " pseudonyms; FILE holds the key (32+ random bytes). Default: off.")
    Path pseudonymKeyFile;

    @Option(
            names = "--pseudonym-topics",
            paramLabel = "T1,T2",
            description =
                    "Output topics that leave the lab and get pseudonyms (default: all four"
                            + " outputs: cells.classified, alerts.aml, specimens.reports,"
                            + " specimens.fhir).")
    String pseudonymTopics;

    @Option(
            names = "--decode-parallelism",
            defaultValue = "0",
            description =
                    "Parallelism of the decode-and-resize stage, which runs in its own threads"
                            + " ahead of the model; 0 = same as --parallelism. Raise it when a GPU"
                            + " waits for CPU decoding (default: ${DEFAULT-VALUE}).")
    int decodeParallelism;

    @Option(
            names = "--parallelism",
            defaultValue = "2",
            description = "Flink operator parallelism (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
            names = "--head",
            paramLabel = "JSON",
            description =
                    "Cell-type head fitted on that embedder's embeddings: knn, linear or"
                            + " nearest-centroid, as written by fit-head"
                            + " (default: models/fixtures/vit-tiny-linear.json).")
    Path head;

    @Option(
            names = "--unknown-confidence",
            paramLabel = "P",
            description =
                    "Type a cell 'unknown' when its most probable type has probability below P;"
                            + " 'off' disables (default: the value in the head file).")
    String unknownConfidence;

    @Option(
            names = "--unknown-similarity",
            paramLabel = "S",
            description =
                    "Type a cell 'unknown' (out of distribution) when its cosine similarity to"
                            + " the head's nearest reference is below S; 'off' disables (default:"
                            + " the value in the head file, a low quantile of the fitting cells').")
    String unknownSimilarity;

    @Option(
            names = "--mil",
            paramLabel = "JSON",
            description =
                    "MIL model manifest, trained by models/train_mil.py on this embedder's"
                            + " embeddings (default: models/fixtures/mil-vit-tiny.json).")
    Path mil;

    @Option(
            names = "--batch-size",
            defaultValue = "16",
            description = "Micro-batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--batch-delay-ms",
            defaultValue = "50",
            description =
                    "Longest a crop waits for its batch to fill, in ms (default: ${DEFAULT-VALUE}).")
    long batchDelayMs;

    @Option(
            names = "--batches-in-flight",
            defaultValue = "1",
            description =
                    "Batches a model instance may have unfinished at once: 1 runs one at a time;"
                            + " 2 or more pack and copy the next while one computes (for GPUs)."
                            + " All are emitted before each checkpoint (default: ${DEFAULT-VALUE}).")
    int batchesInFlight;

    @Option(
            names = "--resize-in-graph",
            description =
                    "Resize and normalise inside the model's graph: decode only decodes, and the"
                            + " model call resizes (exactly as Pillow) on its provider. For GPU"
                            + " hosts; on a CPU it costs more than resizing in decode.")
    boolean resizeInGraph;

    @Option(
            names = "--checkpoint-interval-ms",
            defaultValue = "1000",
            description =
                    "Checkpoint interval in ms; exactly-once outputs become visible at each"
                            + " checkpoint (default: ${DEFAULT-VALUE}).")
    long checkpointMs;

    @Option(
            names = "--alpha",
            defaultValue = "drop",
            paramLabel = "drop|white",
            description =
                    "Alpha channels of crops: drop (default; Pillow's convert(\"RGB\"), what"
                            + " DinoBloom's preprocessing does) or white (composite on white)."
                            + " Every classified cell records it in alphaPolicy.")
    String alpha;

    @Option(
            names = "--emit-embeddings",
            description = "Publish embedding vectors on cells.classified (default: off).")
    boolean emitEmbeddings;

    @Option(
            names = "--min-cells",
            defaultValue = "50",
            description =
                    "No alert before this many cells of a specimen (default: ${DEFAULT-VALUE}).")
    int minCells;

    @Option(
            names = "--threshold",
            defaultValue = "0.9",
            description = "Subtype probability needed for an alert (default: ${DEFAULT-VALUE}).")
    double threshold;

    @Option(
            names = "--stable-updates",
            defaultValue = "20",
            description =
                    "Consecutive cells the subtype must stay above threshold before the alert"
                            + " (default: ${DEFAULT-VALUE}).")
    int stableUpdates;

    @Option(
            names = "--finish-grace-s",
            defaultValue = "300",
            description =
                    "After scan-finished, how many seconds a specimen that still misses cells may"
                            + " stay silent before its final report (default: ${DEFAULT-VALUE}).")
    long finishGraceS;

    @Option(
            names = "--inactivity-timeout-s",
            defaultValue = "600",
            description =
                    "Close a specimen with no activity for this many seconds"
                            + " (default: ${DEFAULT-VALUE}).")
    long inactivityS;

    @Option(
            names = "--drift-threshold",
            defaultValue = "0.02",
            description =
                    "Per-scanner drift alert when the MMD^2 of a scanner's last window against"
                            + " the head's fitting cells is above this; the drift page of the"
                            + " manual says how to set it (default: ${DEFAULT-VALUE}).")
    double driftThreshold;

    @Option(
            names = "--drift-bucket-cells",
            defaultValue = "64",
            description =
                    "Per-scanner drift window: 8 buckets of this many cells, a record per bucket,"
                            + " alerts from 4 buckets on (default: ${DEFAULT-VALUE}).")
    int driftBucketCells;

    public JobConfig toConfig(String bootstrapServers) {
        Path home = BloomstreamHome.path();
        AlertPolicy policy =
                new AlertPolicy(
                        minCells,
                        threshold,
                        java.util.Map.of(),
                        stableUpdates,
                        Duration.ofSeconds(finishGraceS),
                        Duration.ofSeconds(inactivityS),
                        5);
        return JobConfig.defaults(bootstrapServers).toBuilder()
                .parallelism(parallelism)
                .embedderModel(embedder.modelPath())
                .head(head != null ? head : home.resolve(JobConfig.FIXTURE_CELL_HEAD))
                .unknownOverrides(
                        new UnknownOverrides(
                                UnknownOverrides.parse(
                                        unknownConfidence, 0.0, "--unknown-confidence"),
                                UnknownOverrides.parse(
                                        unknownSimilarity,
                                        Double.NEGATIVE_INFINITY,
                                        "--unknown-similarity")))
                .milModel(mil != null ? mil : home.resolve(JobConfig.FIXTURE_MIL))
                .execution(embedder.execution(parallelism, batchSize))
                .decodeParallelism(decodeParallelism > 0 ? decodeParallelism : parallelism)
                .batch(new BatchPolicy(batchSize, Duration.ofMillis(batchDelayMs), batchesInFlight))
                .checkpointInterval(Duration.ofMillis(checkpointMs))
                .alphaPolicy(AlphaPolicy.parse(alpha))
                .emitEmbeddings(emitEmbeddings)
                .alertPolicy(policy)
                .drift(DriftSettings.of(driftBucketCells, driftThreshold))
                .resizeInGraph(resizeInGraph)
                .checkpointing(checkpoints.settings())
                .transactionTimeout(Duration.ofSeconds(checkpoints.transactionTimeoutS))
                .pseudonyms(
                        pseudonymKeyFile == null
                                ? Pseudonyms.OFF
                                : Pseudonyms.keyFile(
                                        pseudonymKeyFile, Pseudonyms.parseTopics(pseudonymTopics)))
                .build();
    }
}
