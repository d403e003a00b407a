package org.bloomstream.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.streams.KafkaStreams;
import org.bloomstream.embedded.kafka.EmbeddedKafka;
import org.bloomstream.ingest.gate.GateConfig;
import org.bloomstream.ingest.gate.IngestGate;
import org.bloomstream.schemas.LogIds;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The {@code ingest} commands as the launcher runs them, in-process, on an embedded broker. */
class IngestCommandTest {
    @TempDir Path dir;

    record Run(int exitCode, String stdout) {}

    static Run cli(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            code = new CommandLine(new BloomstreamCli()).execute(args);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        return new Run(code, out);
    }

    static Path sharedData(String name) {
        return DemoCommandTest.sharedData(name);
    }

    private static void png(Path file) throws Exception {
        java.awt.image.BufferedImage img =
                new java.awt.image.BufferedImage(24, 24, java.awt.image.BufferedImage.TYPE_INT_RGB);
        Files.createDirectories(file.getParent());
        javax.imageio.ImageIO.write(img, "png", file.toFile());
    }

    @Test
    void watchAndReplayFeedTheGateThroughTheCli() throws Exception {
        Path watch = dir.resolve("watch");
        for (int i = 0; i < 5; i++) {
            png(watch.resolve("SPEC-W").resolve("c" + i + ".png"));
        }
        Files.writeString(watch.resolve("SPEC-W").resolve("scan.done"), "5");
        Path tree = dir.resolve("tree");
        for (int i = 0; i < 4; i++) {
            png(tree.resolve("NPM1").resolve("patient_1").resolve("image_" + i + ".png"));
        }
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"))) {
            kafka.createTopics(2);
            String b = kafka.bootstrapServers();
            KafkaStreams gate =
                    IngestGate.start(
                            GateConfig.DEFAULT,
                            IngestGate.streamsConfig(b, "cli-test-gate", dir.resolve("gate")),
                            Duration.ofSeconds(60));
            try {
                Run w =
                        cli(
                                "ingest",
                                "watch",
                                watch.toString(),
                                "--once",
                                "--settle-ms",
                                "0",
                                "--poll-ms",
                                "50",
                                "--bootstrap-servers",
                                b);
                assertThat(w.exitCode()).isZero();
                // the ids by reference only: this output is the service's log
                assertThat(w.stdout())
                        .contains(
                                "scan "
                                        + LogIds.ref("SPEC-W")
                                        + " finished: specimen "
                                        + LogIds.ref("SPEC-W")
                                        + ", 5 crops")
                        .doesNotContain("SPEC-W");

                Run r =
                        cli(
                                "ingest",
                                "replay",
                                tree.toString(),
                                "--rate",
                                "200",
                                "--repeat",
                                "2",
                                "--run-tag",
                                "t1",
                                "--bootstrap-servers",
                                b);
                assertThat(r.exitCode()).isZero();
                assertThat(r.stdout())
                        .contains("replaying 8 crops of 2 specimens")
                        .contains("done: 8 crops");

                Set<String> accepted = new HashSet<>();
                try (KafkaConsumer<byte[], byte[]> c =
                        new KafkaConsumer<>(ClientSettings.consumer(b, "t-" + UUID.randomUUID()))) {
                    c.subscribe(List.of(Topics.CELLS_ACCEPTED.name()));
                    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while (accepted.size() < 13 && System.nanoTime() < deadline) {
                        for (ConsumerRecord<byte[], byte[]> rec : c.poll(Duration.ofMillis(200))) {
                            CellCrop crop = Topics.CELLS_ACCEPTED.deserializeValue(rec.value());
                            accepted.add(crop.getCellId());
                        }
                    }
                }
                assertThat(accepted)
                        .hasSize(13)
                        .contains("watch/SPEC-W/c0.png", "NPM1_patient_1/image_0.png~t1-r2");
            } finally {
                gate.close(Duration.ofSeconds(10));
            }
        }
    }

    @Test
    void benchPrintsCropsPerSecondAndMegabytesPerSecond() {
        Run r =
                cli(
                        "ingest",
                        "bench",
                        "--sizes-kb",
                        "20",
                        "--megabytes",
                        "2",
                        "--partitions",
                        "2",
                        "--work-dir",
                        dir.resolve("bench").toString());
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout())
                .contains("producer/s")
                .contains("prod+gate/s")
                .contains("MB/s")
                .containsPattern("20 KB +\\d+\\.\\dKB +\\d+ \\|");
    }

    @Test
    void serveRefusesToStartWithoutAToken() {
        Run r = cli("ingest", "serve", "--port", "0", "--bootstrap-servers", "127.0.0.1:1");
        assertThat(r.exitCode()).isEqualTo(2);
    }
}
