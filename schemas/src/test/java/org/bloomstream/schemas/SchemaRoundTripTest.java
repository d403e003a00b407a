package org.bloomstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.AttendedCells;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.CellTimings;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.CloseReason;
import org.bloomstream.schemas.avro.CropGeometry;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.bloomstream.schemas.avro.LabelProbability;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;
import org.bloomstream.schemas.avro.SpecimenPhase;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.avro.SpecimenStatus;
import org.bloomstream.schemas.avro.TypeCount;
import org.junit.jupiter.api.Test;

class SchemaRoundTripTest {
    private static final Instant T0 = Instant.ofEpochMilli(1_700_000_000_123L);

    static CellCrop crop() {
        return CellCrop.newBuilder()
                .setCellId("c-1")
                .setSpecimenId("SPC-1")
                .setScanId("scan-1")
                .setScannerId("scanner-A")
                .setCaptureTime(T0)
                .setImage(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}))
                .setEncoding(ImageEncoding.PNG)
                .setWidth(2)
                .setHeight(2)
                .setMicronsPerPixel(0.1)
                .setGeometry(new CropGeometry("fov-7", 10, 20, 2, 2))
                .setReferenceLabel("neutrophil")
                .build();
    }

    @Test
    void everyTopicRoundTripsItsValueType() {
        List<LabelProbability> probs =
                List.of(new LabelProbability("NPM1", 0.9f), new LabelProbability("control", 0.1f));
        List<TypeCount> diff = List.of(new TypeCount("blast", 40L), new TypeCount("monocyte", 3L));
        ClassifiedCell classified =
                ClassifiedCell.newBuilder()
                        .setCellId("c-1")
                        .setSpecimenId("SPC-1")
                        .setScanId("scan-1")
                        .setScannerId("scanner-A")
                        .setCaptureTime(T0)
                        .setCellType("blast")
                        .setTypeConfidence(0.8f)
                        .setTypeProbabilities(List.of(new LabelProbability("blast", 0.8f)))
                        .setEmbeddingModelId("vit_tiny-random-seed0")
                        .setHeadModelId("centroids-1")
                        .setEmbedding(List.of(0.5f, -1.25f))
                        .setMilAttention(List.of(1f, 2f))
                        .setTimings(new CellTimings(T0, 10, 20, 30, 8, T0.plusMillis(5)))
                        .build();
        AmlAlert alert =
                AmlAlert.newBuilder()
                        .setAlertId("SPC-1/NPM1/1")
                        .setSpecimenId("SPC-1")
                        .setScanId("scan-1")
                        .setSubtype("NPM1")
                        .setVersion(1)
                        .setProbability(0.9f)
                        .setProbabilities(probs)
                        .setCellCount(43)
                        .setDifferential(diff)
                        .setTopAttendedCellIds(List.of("c-1"))
                        .setEmbeddingModelId("e")
                        .setHeadModelId("h")
                        .setMilModelId("m")
                        .setFirstCellTime(T0)
                        .setAlertTime(T0.plusSeconds(3))
                        .build();
        SpecimenReport report =
                SpecimenReport.newBuilder()
                        .setSpecimenId("SPC-1")
                        .setScanId("scan-1")
                        .setCloseReason(CloseReason.SCAN_FINISHED)
                        .setExpectedCells(43)
                        .setCellCount(43)
                        .setCall("NPM1")
                        .setProbabilities(probs)
                        .setDifferential(diff)
                        .setTopAttended(List.of(new AttendedCells("NPM1", List.of("c-1"))))
                        .setAlertsRaised(List.of("SPC-1/NPM1/1"))
                        .setEmbeddingModelId("e")
                        .setHeadModelId("h")
                        .setMilModelId("m")
                        .setFirstCellTime(T0)
                        .setLastCellTime(T0.plusSeconds(2))
                        .setReportTime(T0.plusSeconds(4))
                        .build();
        DeadLetter dead =
                DeadLetter.newBuilder()
                        .setReason(DeadLetterReason.UNDECODABLE_IMAGE)
                        .setDetail("truncated JPEG")
                        .setStage("gate")
                        .setSourceTopic("cells.raw")
                        .setSourcePartition(3)
                        .setSourceOffset(42L)
                        .setCellId("c-1")
                        .setSpecimenId("SPC-1")
                        .setOriginalKey(ByteBuffer.wrap("SPC-1".getBytes()))
                        .setOriginalValue(ByteBuffer.wrap(new byte[] {9, 9}))
                        .setDeadTime(T0)
                        .build();
        SpecimenStatus status =
                SpecimenStatus.newBuilder()
                        .setSpecimenId("SPC-1")
                        .setScanId("scan-1")
                        .setSequence(3)
                        .setPhase(SpecimenPhase.SCANNING)
                        .setCellCount(43)
                        .setMinCells(50)
                        .setCall("NPM1")
                        .setProbabilities(probs)
                        .setDifferential(diff)
                        .setTopAttended(List.of(new AttendedCells("NPM1", List.of("c-1"))))
                        .setAlertsRaised(List.of())
                        .setMilModelId("m")
                        .setFirstCellTime(T0)
                        .setLastCellTime(T0.plusSeconds(2))
                        .setStatusTime(T0.plusSeconds(3))
                        .build();
        SpecimenStatus empty =
                SpecimenStatus.newBuilder(status)
                        .setCellCount(0)
                        .setCall(null)
                        .setProbabilities(List.of())
                        .setFirstCellTime(null)
                        .setLastCellTime(null)
                        .build();
        ScanEvent finished =
                new ScanEvent("scan-1", "SPC-1", "scanner-A", ScanEventType.FINISHED, T0, 43);

        assertRoundTrip(Topics.CELLS_RAW, crop());
        assertRoundTrip(Topics.CELLS_ACCEPTED, crop());
        assertRoundTrip(Topics.CELLS_CLASSIFIED, classified);
        assertRoundTrip(Topics.ALERTS_AML, alert);
        assertRoundTrip(Topics.SPECIMEN_REPORTS, report);
        assertRoundTrip(Topics.SPECIMEN_STATUS, status);
        assertRoundTrip(Topics.SPECIMEN_STATUS, empty);
        assertRoundTrip(Topics.CELLS_DEAD, dead);
        assertRoundTrip(Topics.SCAN_EVENTS, finished);
    }

    private static <V extends SpecificRecord> void assertRoundTrip(Topic<String, V> topic, V v) {
        byte[] key = topic.serializeKey("SPC-1");
        byte[] bytes = topic.serializeValue(v);
        assertThat(topic.deserializeKey(key)).isEqualTo("SPC-1");
        assertThat(topic.deserializeValue(bytes)).isEqualTo(v);
    }

    @Test
    void registryNamesAreUniqueAndResolvable() {
        assertThat(Topics.all()).extracting(Topic::name).doesNotHaveDuplicates().hasSize(10);
        for (Topic<String, ?> t : Topics.all()) {
            assertThat(Topics.<Object>byName(t.name())).isSameAs(t);
        }
        assertThatThrownBy(() -> Topics.byName("nope")).hasMessageContaining("cells.raw");
    }

    @Test
    void garbageAndEmptyPayloadsFailWithAClearError() {
        AvroSerde<CellCrop> serde = new AvroSerde<>(CellCrop.class);
        assertThatThrownBy(() -> serde.decode(new byte[0]))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> serde.decode("hello, not avro".getBytes()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("CellCrop");
        // A record of another type carries another fingerprint: it must not be mis-read.
        byte[] scanBytes =
                Topics.SCAN_EVENTS.serializeValue(
                        new ScanEvent("s", "p", "x", ScanEventType.STARTED, T0, null));
        assertThatThrownBy(() -> serde.decode(scanBytes))
                .isInstanceOf(SerializationException.class);
    }

    /** Schema evolution: a record written by a scanner on the previous CellCrop version. */
    @Test
    void readsCropsWrittenWithAnOlderSchemaOnceToldAboutIt() throws Exception {
        Schema current = CellCrop.getClassSchema();
        // v0: no referenceLabel, no geometry (both added later with defaults).
        SchemaBuilder.FieldAssembler<Schema> fields =
                SchemaBuilder.record("CellCrop").namespace(current.getNamespace()).fields();
        for (Schema.Field f : current.getFields()) {
            if (f.name().equals("referenceLabel") || f.name().equals("geometry")) {
                continue;
            }
            fields = fields.name(f.name()).type(f.schema()).noDefault();
        }
        Schema v0 = fields.endRecord();
        GenericRecord old = new GenericData.Record(v0);
        CellCrop now = crop();
        for (Schema.Field f : v0.getFields()) {
            old.put(f.name(), now.get(f.name()));
        }
        old.put("captureTime", T0.toEpochMilli());
        old.put("encoding", new GenericData.EnumSymbol(v0.getField("encoding").schema(), "PNG"));
        ByteBuffer buf = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v0).encode(old);
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);

        AvroSerde<CellCrop> reader = new AvroSerde<>(CellCrop.class);
        assertThatThrownBy(() -> reader.decode(bytes)).isInstanceOf(SerializationException.class);

        CellCrop read = reader.addWriterSchema(v0).decode(bytes);
        assertThat(read.getCellId()).isEqualTo("c-1");
        assertThat(read.getCaptureTime()).isEqualTo(T0);
        assertThat(read.getReferenceLabel()).isNull();
        assertThat(read.getGeometry()).isNull();
    }

    /**
     * Schema evolution: a classified cell from a job that predates the unknown outcome (no
     * unknownReason, no typeSimilarity) reads with both null.
     */
    @Test
    void readsClassifiedCellsFromBeforeTheUnknownOutcome() throws Exception {
        Schema current = ClassifiedCell.getClassSchema();
        SchemaBuilder.FieldAssembler<Schema> fields =
                SchemaBuilder.record("ClassifiedCell").namespace(current.getNamespace()).fields();
        for (Schema.Field f : current.getFields()) {
            if (f.name().equals("unknownReason") || f.name().equals("typeSimilarity")) {
                continue;
            }
            fields = fields.name(f.name()).type(f.schema()).noDefault();
        }
        Schema v0 = fields.endRecord();
        ClassifiedCell now =
                ClassifiedCell.newBuilder()
                        .setCellId("c-1")
                        .setSpecimenId("SPC-1")
                        .setScanId("scan-1")
                        .setScannerId("scanner-A")
                        .setCaptureTime(T0)
                        .setCellType("blast")
                        .setTypeConfidence(0.8f)
                        .setTypeProbabilities(List.of(new LabelProbability("blast", 0.8f)))
                        .setEmbeddingModelId("e")
                        .setHeadModelId("h")
                        .setUnknownReason("low-confidence")
                        .setTypeSimilarity(0.5f)
                        .setTimings(new CellTimings(T0, 1, 2, 3, 4, T0))
                        .build();
        // Write it as the old job would have: same values, old schema.
        org.apache.avro.specific.SpecificData data =
                org.apache.avro.specific.SpecificData.getForClass(ClassifiedCell.class);
        GenericRecord old = new GenericData.Record(v0);
        for (Schema.Field f : v0.getFields()) {
            old.put(f.name(), now.get(f.name()));
        }
        ByteBuffer buf = new BinaryMessageEncoder<GenericRecord>(data, v0).encode(old);
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);

        ClassifiedCell read =
                new AvroSerde<>(ClassifiedCell.class).addWriterSchema(v0).decode(bytes);
        assertThat(read.getCellType()).isEqualTo("blast");
        assertThat(read.getUnknownReason()).isNull();
        assertThat(read.getTypeSimilarity()).isNull();
        assertThat(read.getTimings().getBatchSize()).isEqualTo(4);
    }
}
