package org.bloomstream.ingest.gate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.errors.SerializationException;
import org.bloomstream.schemas.AvroSerde;
import org.bloomstream.schemas.DeadLetters;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;

/**
 * The gate's checks, free of Kafka Streams so they can be tested on their own. Each raw record
 * becomes exactly one {@link Decision}: an accepted, normalised crop or a dead letter.
 */
public final class CropValidator {
    static final String STAGE = "gate";

    private final GateConfig config;
    private final AvroSerde<CellCrop> serde = new AvroSerde<>(CellCrop.class);

    public CropValidator(GateConfig config) {
        this.config = config;
    }

    /** Exactly one of the two is set. */
    public record Decision(CellCrop accepted, DeadLetter dead) {}

    public Decision validate(SourceRecord in) {
        String keySpecimen =
                in.key == null ? null : trimmed(new String(in.key, StandardCharsets.UTF_8));
        CellCrop crop;
        try {
            crop = serde.decode(in.value);
        } catch (SerializationException e) {
            // The key is the specimen id by contract: attribute the loss to it if we can.
            return dead(in, DeadLetterReason.BAD_SCHEMA, e.getMessage(), null, keySpecimen);
        }
        String cellId = trimmed(crop.getCellId());
        String specimenId = trimmed(crop.getSpecimenId());
        if (cellId == null || specimenId == null || trimmed(crop.getScanId()) == null) {
            String which = cellId == null ? "cellId" : specimenId == null ? "specimenId" : "scanId";
            return dead(
                    in,
                    DeadLetterReason.MISSING_ID,
                    which + " is missing",
                    cellId,
                    specimenId != null ? specimenId : keySpecimen);
        }
        ByteBuffer image = crop.getImage();
        int size = image == null ? 0 : image.remaining();
        if (size == 0) {
            return dead(in, DeadLetterReason.EMPTY_IMAGE, "image has no bytes", cellId, specimenId);
        }
        if (size > config.maxImageBytes()) {
            return dead(
                    in,
                    DeadLetterReason.IMAGE_TOO_LARGE,
                    "image is " + size + " bytes, limit " + config.maxImageBytes(),
                    cellId,
                    specimenId);
        }
        byte[] bytes = new byte[size];
        image.duplicate().get(bytes);
        ImageHeaderProbe.Header header;
        try {
            header = ImageHeaderProbe.probe(bytes);
        } catch (IOException | RuntimeException e) {
            return dead(
                    in,
                    DeadLetterReason.UNDECODABLE_IMAGE,
                    "unreadable image header: " + e.getMessage(),
                    cellId,
                    specimenId);
        }
        if (header == null) {
            return dead(
                    in,
                    DeadLetterReason.UNDECODABLE_IMAGE,
                    "not a known image format",
                    cellId,
                    specimenId);
        }
        if (header.width() < config.minEdge() || header.height() < config.minEdge()) {
            return dead(
                    in,
                    DeadLetterReason.BAD_DIMENSIONS,
                    "image is " + header.width() + "x" + header.height(),
                    cellId,
                    specimenId);
        }
        if ((long) header.width() * header.height() > config.maxPixels()) {
            return dead(
                    in,
                    DeadLetterReason.IMAGE_TOO_LARGE,
                    "image claims "
                            + header.width()
                            + "x"
                            + header.height()
                            + " pixels, limit "
                            + config.maxPixels(),
                    cellId,
                    specimenId);
        }
        // Normalise: trimmed ids, and the format and size the bytes actually have.
        crop.setCellId(cellId);
        crop.setSpecimenId(specimenId);
        crop.setScanId(crop.getScanId().trim());
        crop.setEncoding(header.encoding());
        crop.setWidth(header.width());
        crop.setHeight(header.height());
        return new Decision(crop, null);
    }

    private static Decision dead(
            SourceRecord in,
            DeadLetterReason reason,
            String detail,
            String cellId,
            String specimenId) {
        return new Decision(
                null, DeadLetters.of(reason, detail, STAGE, in, cellId, specimenId, Instant.now()));
    }

    private static String trimmed(String s) {
        if (s == null) {
            return null;
        }
        String t = s.trim();
        return t.isEmpty() ? null : t;
    }
}
