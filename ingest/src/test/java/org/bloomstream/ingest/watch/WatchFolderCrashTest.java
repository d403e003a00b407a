package org.bloomstream.ingest.watch;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.bloomstream.ingest.RealBroker;
import org.bloomstream.ingest.gate.GateConfig;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the watch-folder adapter mid-scan, twice, and restarts it: every crop must reach {@code
 * cells.accepted} exactly once (read with read_committed), with the resent ones dead-lettered as
 * {@code DUPLICATE_CELL} by the gate, and each scan finished with its full count.
 *
 * <p>The adapter runs in a child JVM. The first run halts itself right after a batch was
 * acknowledged and before the journal recorded it (the window that makes resends happen); the
 * second is killed from outside (SIGKILL) at whatever point it has reached; the third finishes.
 */
class WatchFolderCrashTest {
    @TempDir Path dir;

    @Test
    void killedAndRestartedMidScanEveryCropIsAcceptedExactlyOnce() throws Exception {
        Path root = dir.resolve("watch");
        Path scanA = root.resolve("SPEC-A");
        Path scanB = root.resolve("SPEC-B");
        WatchFolderTest.writeCrops(scanA, 0, 30);
        WatchFolderTest.writeCrops(scanB, 0, 12);
        Files.writeString(scanB.resolve(WatchFolder.MANIFEST), "file\n");
        String scanner = root.getFileName().toString();

        try (RealBroker broker = RealBroker.start(dir, 2, GateConfig.DEFAULT)) {
            // 1: halts between the broker's ack and the journal, after 10+ crops
            Child first = Child.start(broker.bootstrapServers(), root, 10, false);
            assertThat(first.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(first.process.exitValue()).isEqualTo(WatchFolderChild.HALT_CODE);
            assertThat(first.lines).anySatisfy(l -> assertThat(l).startsWith("HALT SPEC-A"));

            // the scanner goes on writing while the adapter is down, then ends the scan
            WatchFolderTest.writeCrops(scanA, 30, 40);
            Files.writeString(scanA.resolve(WatchFolder.END_MARKER), "40\n");

            // 2: killed from outside once it has recorded more of SPEC-A
            Child second = Child.start(broker.bootstrapServers(), root, -1, false);
            second.awaitLine(l -> l.startsWith("RECORDED SPEC-A") && count(l) >= 20);
            second.process.destroyForcibly();
            assertThat(second.process.waitFor(30, TimeUnit.SECONDS)).isTrue();

            // 3: runs until every scan is finished
            Child third = Child.start(broker.bootstrapServers(), root, -1, true);
            assertThat(third.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(third.process.exitValue()).as(String.join("\n", third.lines)).isZero();

            long raw = broker.endOffsets(Topics.CELLS_RAW.name());
            assertThat(raw).as("resends happened").isGreaterThan(52);
            List<ConsumerRecord<byte[], byte[]>> out =
                    broker.readUntil(
                            List.of(
                                    Topics.CELLS_ACCEPTED.name(),
                                    Topics.CELLS_DEAD.name(),
                                    Topics.SCAN_EVENTS.name()),
                            all ->
                                    all.stream()
                                                            .filter(
                                                                    r ->
                                                                            !r.topic()
                                                                                    .equals(
                                                                                            Topics
                                                                                                    .SCAN_EVENTS
                                                                                                    .name()))
                                                            .count()
                                                    >= raw
                                            && finishedEvents(all) >= 2,
                            Duration.ofSeconds(60));

            Map<String, Integer> accepted = new HashMap<>();
            List<DeadLetter> dead = new ArrayList<>();
            Map<String, Integer> expectedBySpecimen = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> r : out) {
                if (r.topic().equals(Topics.CELLS_ACCEPTED.name())) {
                    CellCrop c = Topics.CELLS_ACCEPTED.deserializeValue(r.value());
                    accepted.merge(c.getCellId(), 1, Integer::sum);
                } else if (r.topic().equals(Topics.CELLS_DEAD.name())) {
                    dead.add(Topics.CELLS_DEAD.deserializeValue(r.value()));
                } else {
                    ScanEvent e = Topics.SCAN_EVENTS.deserializeValue(r.value());
                    if (e.getType() == ScanEventType.FINISHED) {
                        expectedBySpecimen.put(e.getSpecimenId(), e.getExpectedCells());
                    }
                }
            }
            Set<String> files = new HashSet<>();
            for (int i = 0; i < 40; i++) {
                files.add(scanner + "/SPEC-A/" + String.format("cell_%03d.jpg", i));
            }
            for (int i = 0; i < 12; i++) {
                files.add(scanner + "/SPEC-B/" + String.format("cell_%03d.jpg", i));
            }
            assertThat(accepted.keySet()).isEqualTo(files);
            assertThat(accepted).allSatisfy((id, n) -> assertThat(n).as(id).isOne());
            assertThat(dead)
                    .hasSize((int) (raw - 52))
                    .allSatisfy(
                            d ->
                                    assertThat(d.getReason())
                                            .isEqualTo(DeadLetterReason.DUPLICATE_CELL));
            assertThat(expectedBySpecimen).containsEntry("SPEC-A", 40).containsEntry("SPEC-B", 12);
        }
    }

    private static long finishedEvents(List<ConsumerRecord<byte[], byte[]>> all) {
        return all.stream()
                .filter(r -> r.topic().equals(Topics.SCAN_EVENTS.name()))
                .map(r -> Topics.SCAN_EVENTS.deserializeValue(r.value()))
                .filter(e -> e.getType() == ScanEventType.FINISHED)
                .map(ScanEvent::getSpecimenId)
                .distinct()
                .count();
    }

    private static int count(String line) {
        return Integer.parseInt(line.substring(line.lastIndexOf(' ') + 1));
    }

    /** A child JVM running {@link WatchFolderChild}, its stdout collected line by line. */
    private static final class Child {
        final Process process;
        final List<String> lines = java.util.Collections.synchronizedList(new ArrayList<>());
        final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

        private Child(Process process) {
            this.process = process;
            Thread reader =
                    new Thread(
                            () -> {
                                try (BufferedReader r =
                                        new BufferedReader(
                                                new InputStreamReader(
                                                        process.getInputStream(), UTF_8))) {
                                    String line;
                                    while ((line = r.readLine()) != null) {
                                        lines.add(line);
                                        queue.add(line);
                                    }
                                } catch (IOException e) {
                                    // the process died: that is the point
                                }
                            },
                            "child-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        static Child start(String bootstrap, Path root, int haltAfter, boolean exitWhenDone)
                throws IOException {
            String java =
                    ProcessHandle.current()
                            .info()
                            .command()
                            .orElse(
                                    Path.of(System.getProperty("java.home"), "bin", "java")
                                            .toString());
            ProcessBuilder pb =
                    new ProcessBuilder(
                            java,
                            "-Xmx256m",
                            "-Djava.awt.headless=true",
                            "-cp",
                            System.getProperty("java.class.path"),
                            WatchFolderChild.class.getName(),
                            bootstrap,
                            root.toString(),
                            String.valueOf(haltAfter),
                            String.valueOf(exitWhenDone));
            pb.redirectErrorStream(true);
            return new Child(pb.start());
        }

        void awaitLine(java.util.function.Predicate<String> p) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                String line = queue.poll(200, TimeUnit.MILLISECONDS);
                if (line != null && p.test(line)) {
                    return;
                }
                if (line == null && !process.isAlive()) {
                    throw new AssertionError("child exited: " + lines);
                }
            }
            throw new AssertionError("no such line in 60 s: " + lines);
        }
    }
}
