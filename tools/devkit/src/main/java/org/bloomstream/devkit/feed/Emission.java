package org.bloomstream.devkit.feed;

import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ScanEvent;

/**
 * One thing a scanner feed sends (a scan event or a crop), with the ground truth where the feed
 * knows it (the synthetic scanner does; a replayed folder knows only the label).
 *
 * @param type what it is
 * @param specimenId the specimen (also the Kafka key)
 * @param profile the specimen's subtype or control, when known
 * @param cellKind for synthetic crops: the kind that was drawn
 * @param scanEvent for scan events
 * @param crop for crops, including bad crops whose record is valid but whose image is not
 * @param rawValue for a bad crop that is not even a valid record: the bytes to send as is
 * @param defect for bad crops: what is wrong with it
 */
public record Emission(
        Type type,
        String specimenId,
        SpecimenProfile profile,
        CellKind cellKind,
        ScanEvent scanEvent,
        CellCrop crop,
        byte[] rawValue,
        Defect defect) {

    /** What the scanner is sending. */
    public enum Type {
        SCAN_STARTED,
        CROP,
        BAD_CROP,
        SCAN_FINISHED
    }

    /** Ways a crop can be broken (the synthetic scanner injects them on purpose). */
    public enum Defect {
        /** A record with an empty image. */
        EMPTY_IMAGE,
        /** A JPEG cut in half: the header is fine, the pixels are not. */
        TRUNCATED_JPEG,
        /** Bytes that are no image format at all. */
        NOT_AN_IMAGE,
        /** A value that is not an Avro CellCrop record. */
        NOT_AVRO
    }

    public String cellId() {
        return crop != null ? crop.getCellId() : null;
    }
}
