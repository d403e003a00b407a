package org.bloomstream.ingest.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.bloomstream.ingest.TestImages;
import org.bloomstream.ingest.feed.CropSender;
import org.bloomstream.ingest.metrics.IngestMetrics;
import org.bloomstream.schemas.LogIds;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watch-folder adapter against a {@link MockProducer} that acknowledges every send at once:
 * layout, completion, ids, journal and restarts. The crash test against a real broker and gate is
 * {@link WatchFolderCrashTest}.
 */
class WatchFolderTest {
    @TempDir Path root;

    private MockProducer<byte[], byte[]> producer;
    private final List<String> warnings = new ArrayList<>();
    private final List<String> finished = new ArrayList<>();
    private final IngestMetrics metrics = IngestMetrics.bare();

    @BeforeEach
    void setUp() {
        producer =
                new MockProducer<>(
                        true, null, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private WatchFolder adapter(WatchFolder.Options options) {
        return new WatchFolder(
                options,
                new CropSender(producer, 64L << 20),
                new WatchFolder.Listener() {
                    @Override
                    public void warning(String scan, String message) {
                        warnings.add(scan + ": " + message);
                    }

                    @Override
                    public void finished(String scan, String specimenId, int crops) {
                        finished.add(scan + "=" + crops);
                    }
                },
                metrics);
    }

    private double count(String name, String... tags) {
        return metrics.registry().get(name).tags(tags).counter().count();
    }

    private WatchFolder.Options options() {
        return WatchFolder.Options.defaults(root).withSettle(Duration.ZERO).withBatch(3);
    }

    static byte[] jpeg(int i) {
        return TestImages.encode(TestImages.rgb(16 + i % 5, 16), "jpeg");
    }

    static void writeCrops(Path scan, int from, int to) throws IOException {
        Files.createDirectories(scan);
        for (int i = from; i < to; i++) {
            Files.write(scan.resolve(String.format("cell_%03d.jpg", i)), jpeg(i));
        }
    }

    private List<CellCrop> crops() {
        return producer.history().stream()
                .filter(r -> r.topic().equals(Topics.CELLS_RAW.name()))
                .map(r -> Topics.CELLS_RAW.deserializeValue(r.value()))
                .toList();
    }

    private List<ScanEvent> events() {
        return producer.history().stream()
                .filter(r -> r.topic().equals(Topics.SCAN_EVENTS.name()))
                .map(r -> Topics.SCAN_EVENTS.deserializeValue(r.value()))
                .toList();
    }

    @Test
    void aCompleteScanIsFramedByStartAndFinishWithItsCount() throws Exception {
        writeCrops(root.resolve("SPEC-1"), 0, 7);
        Files.writeString(root.resolve("SPEC-1").resolve(WatchFolder.END_MARKER), "7\n");
        WatchFolder w = adapter(options());

        assertThat(w.pollOnce()).as("all scans finished").isTrue();

        List<ScanEvent> events = events();
        assertThat(events)
                .extracting(ScanEvent::getType)
                .containsExactly(ScanEventType.STARTED, ScanEventType.FINISHED);
        assertThat(events.get(1).getExpectedCells()).isEqualTo(7);
        assertThat(events.get(1).getSpecimenId()).isEqualTo("SPEC-1");
        List<CellCrop> crops = crops();
        assertThat(crops).hasSize(7);
        String scanner = root.getFileName().toString();
        assertThat(crops.get(0).getCellId()).isEqualTo(scanner + "/SPEC-1/cell_000.jpg");
        assertThat(crops)
                .allSatisfy(
                        c -> {
                            assertThat(c.getSpecimenId()).isEqualTo("SPEC-1");
                            assertThat(c.getScanId()).isEqualTo("SPEC-1");
                        });
        // keyed by specimen, in order: STARTED first, FINISHED last
        List<ProducerRecord<byte[], byte[]>> all = producer.history();
        assertThat(all)
                .allSatisfy(
                        r ->
                                assertThat(new String(r.key(), StandardCharsets.UTF_8))
                                        .isEqualTo("SPEC-1"));
        assertThat(all.get(0).topic()).isEqualTo(Topics.SCAN_EVENTS.name());
        assertThat(all.get(all.size() - 1).topic()).isEqualTo(Topics.SCAN_EVENTS.name());
        assertThat(finished).containsExactly("SPEC-1=7");
        assertThat(warnings).isEmpty();
        // and never again, by this adapter or a restarted one
        assertThat(w.pollOnce()).isTrue();
        assertThat(adapter(options()).pollOnce()).isTrue();
        assertThat(producer.history()).hasSize(9);
        // the files are still there
        assertThat(Files.list(root.resolve("SPEC-1")).count()).isEqualTo(8);
    }

    @Test
    void cropsAreProducedAsTheyAppearBeforeTheScanEnds() throws Exception {
        Path scan = root.resolve("S");
        writeCrops(scan, 0, 4);
        WatchFolder w = adapter(options());
        assertThat(w.pollOnce()).as("not finished").isFalse();
        assertThat(crops()).hasSize(4);
        writeCrops(scan, 4, 6);
        assertThat(w.pollOnce()).isFalse();
        assertThat(crops()).hasSize(6);
        assertThat(events()).extracting(ScanEvent::getType).containsExactly(ScanEventType.STARTED);
        Files.createFile(scan.resolve(WatchFolder.END_MARKER));
        assertThat(w.pollOnce()).isTrue();
        assertThat(events().get(1).getExpectedCells()).isEqualTo(6);
    }

    @Test
    void aFileIsTakenOnlyOnceItHasSettled() throws Exception {
        Path scan = root.resolve("S");
        writeCrops(scan, 0, 2);
        WatchFolder w = adapter(options().withSettle(Duration.ofMillis(50)));
        assertThat(w.pollOnce()).isFalse();
        assertThat(crops()).as("first sight: not settled yet").isEmpty();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (crops().size() < 2 && System.nanoTime() < deadline) {
            w.pollOnce();
            Thread.onSpinWait();
        }
        assertThat(crops()).hasSize(2);

        // a file still growing is not taken while it grows; the end marker makes it final
        Path growing = scan.resolve("cell_100.jpg");
        byte[] full = jpeg(1);
        Files.write(growing, java.util.Arrays.copyOf(full, 10));
        WatchFolder slow = adapter(options().withSettle(Duration.ofHours(1)));
        slow.pollOnce();
        Files.write(growing, full);
        slow.pollOnce();
        assertThat(crops()).hasSize(2);
        Files.createFile(scan.resolve(WatchFolder.END_MARKER));
        assertThat(slow.pollOnce()).isTrue();
        assertThat(crops()).hasSize(3);
        assertThat(crops().get(2).getImage().remaining()).isEqualTo(full.length);
    }

    @Test
    void scanPropertiesNameTheSpecimenScanScannerAndPixelSize() throws Exception {
        Path scan = root.resolve("slot-3");
        writeCrops(scan, 0, 2);
        Files.writeString(
                scan.resolve(WatchFolder.PROPERTIES),
                "specimenId = P-0042\nscanId=P-0042-s2\nscannerId=cv-7\nmicronsPerPixel=0.1\n");
        Files.writeString(scan.resolve(WatchFolder.MANIFEST), "file\ncell_000.jpg\ncell_001.jpg\n");
        adapter(options()).pollOnce();

        assertThat(crops())
                .allSatisfy(
                        c -> {
                            assertThat(c.getSpecimenId()).isEqualTo("P-0042");
                            assertThat(c.getScanId()).isEqualTo("P-0042-s2");
                            assertThat(c.getScannerId()).isEqualTo("cv-7");
                            assertThat(c.getMicronsPerPixel()).isEqualTo(0.1);
                            assertThat(c.getCellId()).startsWith("cv-7/P-0042-s2/cell_00");
                        });
        assertThat(events()).allSatisfy(e -> assertThat(e.getScanId()).isEqualTo("P-0042-s2"));
        assertThat(warnings).isEmpty();
    }

    @Test
    void theManifestIsCheckedAgainstWhatWasFound() throws Exception {
        Path scan = root.resolve("S");
        writeCrops(scan, 0, 2);
        Files.writeString(scan.resolve("notes.txt"), "not a crop");
        Files.writeString(
                scan.resolve(WatchFolder.MANIFEST),
                "file,label\ncell_000.jpg,x\ncell_001.jpg,y\ncell_002.jpg,z\n");
        assertThat(adapter(options()).pollOnce()).isTrue();

        assertThat(events().get(1).getExpectedCells()).as("what was produced").isEqualTo(2);
        assertThat(warnings)
                // File names are part of cell ids: the warnings name them by hash only.
                .anySatisfy(w -> assertThat(w).contains(LogIds.ref("notes.txt")))
                .anySatisfy(
                        w ->
                                assertThat(w)
                                        .contains("not found")
                                        .contains(LogIds.ref("cell_002.jpg"))
                                        .doesNotContain("cell_002"));
    }

    @Test
    void aRestartResumesWhereTheJournalSaysAndATornLineIsSentAgain() throws Exception {
        Path scan = root.resolve("S");
        writeCrops(scan, 0, 5);
        adapter(options()).pollOnce();
        assertThat(crops()).hasSize(5);

        // a crash in the middle of appending the next batch's lines
        Path journal = root.resolve(".bloomstream-watch").resolve("S.journal");
        Files.writeString(journal, "C\tcell_005.j", java.nio.file.StandardOpenOption.APPEND);
        writeCrops(scan, 5, 7);
        Files.createFile(scan.resolve(WatchFolder.END_MARKER));
        producer.clear();
        WatchFolder restarted = adapter(options());
        assertThat(restarted.pollOnce()).isTrue();

        assertThat(crops())
                .extracting(CellCrop::getCellId)
                .extracting(id -> id.substring(id.lastIndexOf('/') + 1))
                .containsExactly("cell_005.jpg", "cell_006.jpg");
        // scan-started is not sent twice: its line was durable
        assertThat(events()).extracting(ScanEvent::getType).containsExactly(ScanEventType.FINISHED);
        assertThat(events().get(0).getExpectedCells()).isEqualTo(7);
        assertThat(Files.readString(journal)).endsWith("F\t7\n");
    }

    @Test
    void aFileOverTheLimitIsDeadLetteredWithItsPathAndCounted() throws Exception {
        Path scan = root.resolve("S");
        writeCrops(scan, 0, 2);
        Files.write(scan.resolve("huge.png"), new byte[5000]);
        Files.createFile(scan.resolve(WatchFolder.END_MARKER));
        adapter(options().withMaxCropBytes(4000)).pollOnce();

        assertThat(crops()).hasSize(2);
        List<DeadLetter> dead =
                producer.history().stream()
                        .filter(r -> r.topic().equals(Topics.CELLS_DEAD.name()))
                        .map(r -> Topics.CELLS_DEAD.deserializeValue(r.value()))
                        .toList();
        assertThat(dead)
                .singleElement()
                .satisfies(
                        d -> {
                            assertThat(d.getReason()).isEqualTo(DeadLetterReason.IMAGE_TOO_LARGE);
                            assertThat(d.getStage()).isEqualTo("watch-folder");
                            assertThat(d.getDetail()).contains("huge.png").contains("5000 bytes");
                            assertThat(d.getSpecimenId()).isEqualTo("S");
                            assertThat(d.getCellId()).endsWith("/S/huge.png");
                            assertThat(d.getSourceTopic()).isEqualTo(Topics.CELLS_RAW.name());
                        });
        assertThat(events().get(1).getExpectedCells()).isEqualTo(3);

        assertThat(count("bloomstream.ingest.crops", "stage", "watch", "outcome", "sent"))
                .isEqualTo(2);
        assertThat(count("bloomstream.ingest.crops", "stage", "watch", "outcome", "dead_lettered"))
                .isEqualTo(1);
        assertThat(count("bloomstream.ingest.scan.events", "stage", "watch", "type", "started"))
                .isEqualTo(1);
        assertThat(count("bloomstream.ingest.scan.events", "stage", "watch", "type", "finished"))
                .isEqualTo(1);
    }

    @Test
    void finishedScanFoldersAreDeletedOnlyWhenConfigured() throws Exception {
        writeCrops(root.resolve("A"), 0, 2);
        Files.createFile(root.resolve("A").resolve(WatchFolder.END_MARKER));
        writeCrops(root.resolve("B"), 0, 2); // not finished: kept
        adapter(options().withOnFinish(WatchFolder.OnFinish.DELETE)).pollOnce();

        assertThat(root.resolve("A")).doesNotExist();
        assertThat(root.resolve("B").resolve("cell_000.jpg")).exists();
        assertThat(root.resolve(".bloomstream-watch").resolve("A.journal")).exists();
    }

    @Test
    void anEmptyScanStillStartsAndFinishes() throws Exception {
        Files.createDirectories(root.resolve("E"));
        assertThat(adapter(options()).pollOnce()).isFalse();
        assertThat(producer.history()).isEmpty();
        Files.createFile(root.resolve("E").resolve(WatchFolder.END_MARKER));
        assertThat(adapter(options()).pollOnce()).isTrue();
        assertThat(events())
                .extracting(ScanEvent::getType)
                .containsExactly(ScanEventType.STARTED, ScanEventType.FINISHED);
        assertThat(events().get(1).getExpectedCells()).isZero();
    }

    @Test
    void aRefusedRecordStopsTheAdapterWithAClearErrorAndIsNotRecorded() throws Exception {
        Path scan = root.resolve("S");
        writeCrops(scan, 0, 1);
        MockProducer<byte[], byte[]> refusing =
                new MockProducer<>(
                        true, null, new ByteArraySerializer(), new ByteArraySerializer()) {
                    @Override
                    public synchronized Future<RecordMetadata> send(
                            ProducerRecord<byte[], byte[]> record,
                            org.apache.kafka.clients.producer.Callback callback) {
                        if (record.topic().equals(Topics.CELLS_RAW.name())) {
                            callback.onCompletion(
                                    null, new RecordTooLargeException("message too large"));
                            return null;
                        }
                        return super.send(record, callback);
                    }
                };
        WatchFolder w = new WatchFolder(options(), new CropSender(refusing, 1 << 20), null);

        assertThatThrownBy(w::pollOnce)
                .isInstanceOf(IOException.class)
                .hasMessageContaining("crop " + root.getFileName() + "/S/cell_000.jpg")
                .hasMessageContaining("max.message.bytes");
        String journal = Files.readString(root.resolve(".bloomstream-watch").resolve("S.journal"));
        assertThat(journal)
                .as("only scan-started was recorded")
                .startsWith("S\t")
                .doesNotContain("C\t");
    }
}
