package org.bloomstream.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The Flink keys behind the checkpoint choices. */
class CheckpointSettingsTest {

    @Test
    void defaultIsHeapStateWithAlignedBarriers() {
        assertThat(CheckpointSettings.DEFAULT.toFlinkConfig())
                .containsEntry("state.backend.type", "hashmap")
                .containsEntry("execution.checkpointing.unaligned.enabled", "false")
                .doesNotContainKey("execution.checkpointing.dir")
                .doesNotContainKey("execution.checkpointing.incremental");
        assertThat(JobConfig.defaults("localhost:9092").checkpointing())
                .isEqualTo(CheckpointSettings.DEFAULT);
    }

    @Test
    void rocksDbIsIncrementalWithRetainedCheckpoints() {
        assertThat(
                        CheckpointSettings.rocksDb("file:///data/ckpt")
                                .withSavepointDir("file:///data/sp")
                                .toFlinkConfig())
                .containsEntry("state.backend.type", "rocksdb")
                .containsEntry("execution.checkpointing.incremental", "true")
                .containsEntry("execution.checkpointing.dir", "file:///data/ckpt")
                .containsEntry("execution.checkpointing.storage", "filesystem")
                .containsEntry(
                        "execution.checkpointing.externalized-checkpoint-retention",
                        "RETAIN_ON_CANCELLATION")
                .containsEntry("execution.checkpointing.savepoint-dir", "file:///data/sp");
        assertThat(CheckpointSettings.rocksDb("file:///c").withIncremental(false).toFlinkConfig())
                .containsEntry("execution.checkpointing.incremental", "false");
    }

    @Test
    void unalignedAfterAnAlignmentTimeout() {
        assertThat(
                        CheckpointSettings.DEFAULT
                                .withUnaligned(true, Duration.ofSeconds(5))
                                .toFlinkConfig())
                .containsEntry("execution.checkpointing.unaligned.enabled", "true")
                .containsEntry("execution.checkpointing.aligned-checkpoint-timeout", "5000 ms");
    }

    @Test
    void rejectsUnknownBackendsAndTooShortTransactions() {
        assertThatThrownBy(() -> CheckpointSettings.Backend.parse("memory"))
                .hasMessageContaining("hashmap or rocksdb");
        assertThat(CheckpointSettings.Backend.parse(" RocksDB "))
                .isEqualTo(CheckpointSettings.Backend.ROCKSDB);
        assertThatThrownBy(
                        () ->
                                JobConfig.defaults("localhost:9092").toBuilder()
                                        .checkpointInterval(Duration.ofMinutes(1))
                                        .transactionTimeout(Duration.ofSeconds(90))
                                        .build())
                .hasMessageContaining("transaction timeout");
    }
}
