package org.bloomstream.ingest.gate;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.zip.CRC32C;
import org.apache.kafka.common.errors.SerializationException;
import org.bloomstream.schemas.AvroSerde;
import org.bloomstream.schemas.DeadLetters;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.bloomstream.schemas.ids.IdRules;

/**
 * The gate's checks, free of Kafka Streams so they can be tested on their own. Each raw record
 * becomes exactly one {@link Decision}: an accepted, normalised crop or a dead letter.
 *
 * <p>Order: Avro schema, required ids ({@code MISSING_ID}), the id rules ({@link IdRules}: {@code
 * INVALID_ID}), dedupe on (specimen id, cell id), then the image (empty, byte limit, header, zero
 * or small edges, pixel limit, truncation). Dedupe comes before the image checks so that a resent
 * crop gets {@code DUPLICATE_CELL} whatever its image, and the first decision for a cell id is the
 * only one that counts: a crop that was dead-lettered and is then resent under the same id stays a
 * loss (a repaired crop needs a new id, or a replay after the window). Records without a usable
 * cell id ({@code BAD_SCHEMA}, {@code MISSING_ID}, {@code INVALID_ID}) take no part in dedupe.
 */
public final class CropValidator {
    static final String STAGE = "gate";
    static final String ACCEPTED = "ACCEPTED";

    private final GateConfig config;
    private final AvroSerde<CellCrop> serde = new AvroSerde<>(CellCrop.class);

    public CropValidator(GateConfig config) {
        this.config = config;
    }

    /** Exactly one of the two is set. */
    public record Decision(CellCrop accepted, DeadLetter dead) {}

    public Decision validate(SourceRecord in) {
        return validate(in, SeenCells.NONE);
    }

    /** Validates one record, deduping on its (specimen, cell) pair against {@code seen}. */
    public Decision validate(SourceRecord in, SeenCells seen) {
        IdRules rules = config.idRules();
        // The key is the specimen id by contract: a loss is attributed to it if it is a valid id.
        String keySpecimen =
                in.key == null
                        ? null
                        : rules.check("key", new String(in.key, StandardCharsets.UTF_8)).value();
        CellCrop crop;
        try {
            crop = serde.decode(in.value);
        } catch (SerializationException e) {
            return dead(in, DeadLetterReason.BAD_SCHEMA, e.getMessage(), null, keySpecimen);
        }
        IdRules.Check cell = rules.check("cellId", crop.getCellId());
        IdRules.Check specimen = rules.check("specimenId", crop.getSpecimenId());
        IdRules.Check scan = rules.check("scanId", crop.getScanId());
        String cellId = cell.value();
        String specimenId = specimen.value();
        String attributed = specimenId != null ? specimenId : keySpecimen;
        for (IdRules.Check c : List.of(cell, specimen, scan)) {
            if (c.rule() == IdRules.Rule.MISSING) {
                return dead(in, DeadLetterReason.MISSING_ID, c.reason(), cellId, attributed);
            }
        }
        String scanner = IdRules.trim(crop.getScannerId());
        IdRules.Check scannerCheck =
                scanner == null
                        ? new IdRules.Check("unknown", null, null)
                        : rules.check("scannerId", scanner);
        for (IdRules.Check c : List.of(cell, specimen, scan, scannerCheck)) {
            if (!c.ok()) {
                // The dead letter leaves the broken id out (it may be 200 KB, or hold control
                // characters); the original record keeps it for inspection.
                return dead(in, DeadLetterReason.INVALID_ID, c.reason(), cellId, attributed);
            }
        }
        ByteBuffer image = crop.getImage();
        int size = image == null ? 0 : image.remaining();
        CRC32C crc = new CRC32C();
        if (size > 0) {
            crc.update(image.duplicate());
        }
        SeenCells.Seen earlier = seen.lookup(specimenId, cellId, in.timestamp);
        if (earlier != null) {
            return dead(
                    in,
                    DeadLetterReason.DUPLICATE_CELL,
                    "cell "
                            + cellId
                            + " of this specimen was already "
                            + (earlier.outcome().equals(ACCEPTED)
                                    ? "accepted"
                                    : "dead-lettered (" + earlier.outcome() + ")")
                            + " from "
                            + earlier.source()
                            + (earlier.imageCrc() == crc.getValue()
                                    ? "; same image bytes (a resend)"
                                    : "; different image bytes (two cells share an id?)"),
                    cellId,
                    specimenId);
        }
        Decision d = checkImage(in, crop, cellId, specimenId, image, size);
        seen.remember(
                specimenId,
                cellId,
                in.timestamp,
                new SeenCells.Seen(
                        d.accepted() != null ? ACCEPTED : d.dead().getReason().name(),
                        in.toString(),
                        crc.getValue()));
        return d;
    }

    private Decision checkImage(
            SourceRecord in,
            CellCrop crop,
            String cellId,
            String specimenId,
            ByteBuffer image,
            int size) {
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
        String truncated = ImageHeaderProbe.truncation(bytes, header.encoding());
        if (truncated != null) {
            return dead(in, DeadLetterReason.UNDECODABLE_IMAGE, truncated, cellId, specimenId);
        }
        normalise(crop, cellId, specimenId, header);
        return new Decision(crop, null);
    }

    /**
     * Normalises the metadata of an accepted crop: trimmed ids; the format and size the bytes
     * actually have (whatever the scanner declared); a blank scanner id becomes {@code unknown}; a
     * pixel size that is not a positive finite number is dropped; a reference label is trimmed (its
     * case is kept: vocabularies are data), blank becomes none. The image bytes are never touched:
     * pixel normalisation (grayscale, 16-bit, CMYK to 8-bit RGB) is the job's decoder's.
     */
    private static void normalise(
            CellCrop crop, String cellId, String specimenId, ImageHeaderProbe.Header header) {
        crop.setCellId(cellId);
        crop.setSpecimenId(specimenId);
        crop.setScanId(IdRules.trim(crop.getScanId()));
        String scanner = IdRules.trim(crop.getScannerId());
        crop.setScannerId(scanner == null ? "unknown" : scanner);
        crop.setEncoding(header.encoding());
        crop.setWidth(header.width());
        crop.setHeight(header.height());
        Double mpp = crop.getMicronsPerPixel();
        if (mpp != null && !(Double.isFinite(mpp) && mpp > 0)) {
            crop.setMicronsPerPixel(null);
        }
        String label = trimmed(crop.getReferenceLabel());
        crop.setReferenceLabel(label);
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

    /** The label without leading and trailing white space, or null if nothing is left. */
    static String trimmed(String s) {
        return IdRules.trim(s);
    }
}
