package org.bloomstream.job.cli;

import java.time.Duration;
import org.bloomstream.job.CheckpointSettings;
import picocli.CommandLine.Option;

/**
 * How the job checkpoints: state backend, storage, barrier alignment ({@code job}, {@code demo}).
 */
final class CheckpointOptions {
    @Option(
            names = "--state-backend",
            defaultValue = "hashmap",
            paramLabel = "hashmap|rocksdb",
            description =
                    "Where keyed state lives: hashmap (JVM heap) or rocksdb (off-heap, local disk,"
                            + " incremental checkpoints; needs --checkpoint-dir). Production:"
                            + " rocksdb (default: ${DEFAULT-VALUE}).")
    String stateBackend;

    @Option(
            names = "--checkpoint-dir",
            paramLabel = "URI",
            description =
                    "Checkpoint storage, e.g. file:///data/checkpoints or s3://bucket/ckpt; the"
                            + " latest checkpoint is retained on cancellation (default: in the"
                            + " JobManager's memory).")
    String checkpointDir;

    @Option(
            names = "--savepoint-dir",
            paramLabel = "URI",
            description = "Default target of savepoints (default: none, give one per savepoint).")
    String savepointDir;

    @Option(
            names = "--incremental-checkpoints",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description =
                    "RocksDB uploads only new SST files per checkpoint (default: ${DEFAULT-VALUE}).")
    boolean incremental;

    @Option(
            names = "--unaligned-checkpoints",
            defaultValue = "false",
            description =
                    "Let barriers overtake in-flight crops after --aligned-checkpoint-timeout-ms"
                            + " of alignment (default: ${DEFAULT-VALUE}; see docs/06-reliability.md).")
    boolean unaligned;

    @Option(
            names = "--aligned-checkpoint-timeout-ms",
            defaultValue = "30000",
            description =
                    "With --unaligned-checkpoints: alignment time before barriers go unaligned"
                            + " (default: ${DEFAULT-VALUE}).")
    long alignedTimeoutMs;

    @Option(
            names = "--transaction-timeout-s",
            defaultValue = "600",
            description =
                    "transaction.timeout.ms of the exactly-once sinks, in seconds: above a"
                            + " checkpoint plus a restart, at most the broker's"
                            + " transaction.max.timeout.ms (default: ${DEFAULT-VALUE}).")
    long transactionTimeoutS;

    CheckpointSettings settings() {
        CheckpointSettings.Backend backend = CheckpointSettings.Backend.parse(stateBackend);
        if (backend == CheckpointSettings.Backend.ROCKSDB && checkpointDir == null) {
            throw new IllegalArgumentException("--state-backend rocksdb needs --checkpoint-dir");
        }
        return CheckpointSettings.DEFAULT
                .withBackend(backend)
                .withCheckpointDir(checkpointDir)
                .withSavepointDir(savepointDir)
                .withIncremental(incremental)
                .withUnaligned(unaligned, Duration.ofMillis(alignedTimeoutMs));
    }
}
