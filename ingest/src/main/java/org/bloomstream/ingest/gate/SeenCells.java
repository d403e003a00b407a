package org.bloomstream.ingest.gate;

/**
 * The gate's memory of the cells it has already decided, for dedupe. A cell is the pair (specimen
 * id, cell id): the same cell id under two specimens is two cells. The gate keeps it in a windowed
 * Kafka Streams state store ({@link IngestGate}, keyed by {@link #key}); {@link #NONE} forgets
 * everything.
 */
public interface SeenCells {
    /**
     * What the gate decided for an earlier record with this cell id.
     *
     * @param outcome {@code ACCEPTED} or the dead-letter reason
     * @param source where that record was read, {@code topic-partition@offset}
     * @param imageCrc CRC-32C of its image bytes, to tell a resend from an id collision
     */
    record Seen(String outcome, String source, long imageCrc) {
        /** One line, for the state store. */
        public String encode() {
            return outcome + "|" + imageCrc + "|" + source;
        }

        public static Seen decode(String s) {
            String[] p = s.split("\\|", 3);
            return new Seen(p[0], p[2], Long.parseLong(p[1]));
        }
    }

    /**
     * The earlier decision for this cell of this specimen within the window around {@code
     * timestamp}, or null.
     */
    Seen lookup(String specimenId, String cellId, long timestamp);

    void remember(String specimenId, String cellId, long timestamp, Seen seen);

    /**
     * The store key of a cell: the specimen id's length, a colon, the specimen id, then the cell
     * id. The length prefix makes the pair unambiguous whatever characters the ids hold ({@code
     * ("a/b", "c")} and {@code ("a", "b/c")} are different keys), without reserving a separator.
     */
    static String key(String specimenId, String cellId) {
        return specimenId.length() + ":" + specimenId + cellId;
    }

    /** No dedupe. */
    SeenCells NONE =
            new SeenCells() {
                @Override
                public Seen lookup(String specimenId, String cellId, long timestamp) {
                    return null;
                }

                @Override
                public void remember(String specimenId, String cellId, long timestamp, Seen seen) {}
            };
}
