package org.bloomstream.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bloomstream.job.CheckpointSettings;
import org.bloomstream.job.JobConfig;
import org.bloomstream.job.cli.FlinkJobMain;
import org.bloomstream.schemas.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job's checkpoint, Kafka security and pseudonym options, as the CLI parses them. */
class ReliabilityOptionsTest {

    @Test
    void defaultsArePlaintextHeapStateAndNoPseudonyms() {
        JobConfig c = FlinkJobMain.parse(new String[] {"--bootstrap-servers", "k:9092"}).config();
        assertThat(c.checkpointing()).isEqualTo(CheckpointSettings.DEFAULT);
        assertThat(c.kafkaSecurity().isPlaintext()).isTrue();
        assertThat(c.pseudonyms().enabled()).isFalse();
        assertThat(c.transactionTimeout()).isEqualTo(JobConfig.DEFAULT_TRANSACTION_TIMEOUT);
    }

    @Test
    void productionSettings(@TempDir Path dir) throws Exception {
        Path key = Files.write(dir.resolve("key"), new byte[48]);
        JobConfig c =
                FlinkJobMain.parse(
                                new String[] {
                                    "--bootstrap-servers",
                                    "k:9093",
                                    "--state-backend",
                                    "rocksdb",
                                    "--checkpoint-dir",
                                    "s3://b/ckpt",
                                    "--unaligned-checkpoints",
                                    "--aligned-checkpoint-timeout-ms",
                                    "5000",
                                    "--kafka-security-protocol",
                                    "SSL",
                                    "--kafka-truststore",
                                    "/etc/ca.p12",
                                    "--pseudonym-key-file",
                                    key.toString(),
                                    "--pseudonym-topics",
                                    "alerts.aml,specimens.reports"
                                })
                        .config();
        assertThat(c.checkpointing().backend()).isEqualTo(CheckpointSettings.Backend.ROCKSDB);
        assertThat(c.checkpointing().incremental()).isTrue();
        assertThat(c.checkpointing().checkpointDir()).isEqualTo("s3://b/ckpt");
        assertThat(c.checkpointing().unaligned()).isTrue();
        assertThat(c.kafkaSecurity().properties())
                .containsEntry("security.protocol", "SSL")
                .containsEntry("ssl.truststore.location", "/etc/ca.p12");
        assertThat(c.pseudonyms().appliesTo(Topics.ALERTS_AML.name())).isTrue();
        assertThat(c.pseudonyms().appliesTo(Topics.CELLS_CLASSIFIED.name())).isFalse();
    }

    @Test
    void rocksDbNeedsACheckpointDirAndSaslNeedsCredentials() {
        assertThatThrownBy(
                        () ->
                                FlinkJobMain.parse(
                                                new String[] {
                                                    "--bootstrap-servers", "k:9092",
                                                    "--state-backend", "rocksdb"
                                                })
                                        .config())
                .hasMessageContaining("needs --checkpoint-dir");
        assertThatThrownBy(
                        () ->
                                FlinkJobMain.parse(
                                                new String[] {
                                                    "--bootstrap-servers",
                                                    "k:9092",
                                                    "--kafka-security-protocol",
                                                    "SASL_SSL",
                                                    "--kafka-sasl-password-env",
                                                    "BLOOMSTREAM_TEST_UNSET_VARIABLE"
                                                })
                                        .config())
                .hasMessageContaining("needs --kafka-sasl-username");
    }
}
