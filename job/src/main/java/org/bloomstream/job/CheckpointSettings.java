package org.bloomstream.job;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.configuration.Configuration;

/**
 * How the job checkpoints: the state backend, where checkpoints and savepoints go, and how barriers
 * travel. Turned into Flink configuration keys by {@link #toFlinkConfig()} and applied to the job
 * (not the cluster), so the same settings hold on a MiniCluster and on a Flink cluster.
 *
 * <p>Choices, and why (docs/06-reliability.md has the measurements):
 *
 * <ul>
 *   <li><b>State backend.</b> {@link Backend#HASHMAP} keeps state on the heap: fastest, and enough
 *       for the embedded mode, whose specimen state is O(classes × embedding) per open specimen (16
 *       KB at D = 384). {@link Backend#ROCKSDB} keeps it off-heap on local disk with
 *       <b>incremental</b> checkpoints (only new SST files are uploaded): the production choice,
 *       because its size does not grow the heap and a checkpoint costs what changed, not
 *       everything.
 *   <li><b>Aligned barriers by default.</b> Unaligned checkpoints would store the in-flight network
 *       buffers, and here those are crop images (10-300 KB each): large checkpoints for little
 *       gain, since the embedder flushes its micro-batch before each barrier and the queue in front
 *       of it is only a few network buffers deep. {@code unaligned} is an option with an {@code
 *       alignedTimeout}: barriers start aligned and switch to unaligned only when alignment takes
 *       longer than that (sustained backpressure, e.g. a slow sink).
 *   <li><b>Retained on cancellation.</b> With a checkpoint directory the latest checkpoint is kept
 *       when the job is cancelled, so it can be restored like a savepoint.
 * </ul>
 *
 * @param backend where keyed state lives
 * @param checkpointDir URI of checkpoint storage ({@code file:///...}, {@code s3://...}); null
 *     keeps checkpoints in the JobManager's memory, which only the embedded mode should do
 * @param savepointDir default savepoint target; null means savepoints need an explicit path
 * @param incremental incremental checkpoints (RocksDB only; ignored on the heap backend)
 * @param unaligned allow unaligned checkpoints (after {@code alignedTimeout})
 * @param alignedTimeout with {@code unaligned}: how long barriers may align before they overtake
 * @param timeout a checkpoint that takes longer is declared failed
 * @param minPause least time between the end of one checkpoint and the start of the next
 * @param tolerableFailures consecutive failed checkpoints tolerated before the job restarts
 */
public record CheckpointSettings(
        Backend backend,
        String checkpointDir,
        String savepointDir,
        boolean incremental,
        boolean unaligned,
        Duration alignedTimeout,
        Duration timeout,
        Duration minPause,
        int tolerableFailures) {

    /** Where keyed state lives. */
    public enum Backend {
        /** On the JVM heap. */
        HASHMAP,
        /** In RocksDB, off-heap, on local disk. */
        ROCKSDB;

        /** Parses {@code hashmap} or {@code rocksdb}. */
        public static Backend parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "unknown state backend '" + s + "' (hashmap or rocksdb)");
            }
        }
    }

    /** Heap state, checkpoints in memory, aligned barriers: the embedded default. */
    public static final CheckpointSettings DEFAULT =
            new CheckpointSettings(
                    Backend.HASHMAP,
                    null,
                    null,
                    true,
                    false,
                    Duration.ofSeconds(30),
                    Duration.ofMinutes(10),
                    Duration.ZERO,
                    3);

    public CheckpointSettings {
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(alignedTimeout, "alignedTimeout");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(minPause, "minPause");
        if (tolerableFailures < 0) {
            throw new IllegalArgumentException("tolerableFailures must be >= 0");
        }
        if (alignedTimeout.isNegative() || minPause.isNegative() || timeout.toMillis() < 10) {
            throw new IllegalArgumentException("checkpoint durations must be positive");
        }
    }

    /** RocksDB with incremental checkpoints under {@code checkpointDir}: the production setup. */
    public static CheckpointSettings rocksDb(String checkpointDir) {
        return DEFAULT.withBackend(Backend.ROCKSDB).withCheckpointDir(checkpointDir);
    }

    public CheckpointSettings withBackend(Backend b) {
        return new CheckpointSettings(
                b,
                checkpointDir,
                savepointDir,
                incremental,
                unaligned,
                alignedTimeout,
                timeout,
                minPause,
                tolerableFailures);
    }

    public CheckpointSettings withCheckpointDir(String dir) {
        return new CheckpointSettings(
                backend,
                dir,
                savepointDir,
                incremental,
                unaligned,
                alignedTimeout,
                timeout,
                minPause,
                tolerableFailures);
    }

    public CheckpointSettings withSavepointDir(String dir) {
        return new CheckpointSettings(
                backend,
                checkpointDir,
                dir,
                incremental,
                unaligned,
                alignedTimeout,
                timeout,
                minPause,
                tolerableFailures);
    }

    public CheckpointSettings withIncremental(boolean v) {
        return new CheckpointSettings(
                backend,
                checkpointDir,
                savepointDir,
                v,
                unaligned,
                alignedTimeout,
                timeout,
                minPause,
                tolerableFailures);
    }

    public CheckpointSettings withUnaligned(boolean v, Duration alignedTimeout) {
        return new CheckpointSettings(
                backend,
                checkpointDir,
                savepointDir,
                incremental,
                v,
                alignedTimeout,
                timeout,
                minPause,
                tolerableFailures);
    }

    public CheckpointSettings withTolerableFailures(int n) {
        return new CheckpointSettings(
                backend,
                checkpointDir,
                savepointDir,
                incremental,
                unaligned,
                alignedTimeout,
                timeout,
                minPause,
                n);
    }

    /** The Flink configuration keys these settings mean (Flink 2.x names). */
    public Map<String, String> toFlinkConfig() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("state.backend.type", backend.name().toLowerCase(Locale.ROOT));
        if (backend == Backend.ROCKSDB) {
            c.put("execution.checkpointing.incremental", String.valueOf(incremental));
        }
        if (checkpointDir != null) {
            c.put("execution.checkpointing.dir", checkpointDir);
            c.put("execution.checkpointing.storage", "filesystem");
            c.put(
                    "execution.checkpointing.externalized-checkpoint-retention",
                    "RETAIN_ON_CANCELLATION");
        }
        if (savepointDir != null) {
            c.put("execution.checkpointing.savepoint-dir", savepointDir);
        }
        c.put("execution.checkpointing.unaligned.enabled", String.valueOf(unaligned));
        if (unaligned) {
            c.put(
                    "execution.checkpointing.aligned-checkpoint-timeout",
                    alignedTimeout.toMillis() + " ms");
        }
        c.put("execution.checkpointing.timeout", timeout.toMillis() + " ms");
        c.put("execution.checkpointing.min-pause", minPause.toMillis() + " ms");
        c.put(
                "execution.checkpointing.tolerable-failed-checkpoints",
                String.valueOf(tolerableFailures));
        return c;
    }

    /** {@link #toFlinkConfig()} as a Flink {@link Configuration}. */
    public Configuration toConfiguration() {
        return Configuration.fromMap(toFlinkConfig());
    }
}
