package org.bloomstream.ingest.gate;

/**
 * The gate's memory of cell ids it has already decided, for dedupe. The gate keeps it in a windowed
 * Kafka Streams state store ({@link IngestGate}); {@link #NONE} forgets everything.
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
     * The earlier decision for this cell id within the window around {@code timestamp}, or null.
     */
    Seen lookup(String cellId, long timestamp);

    void remember(String cellId, long timestamp, Seen seen);

    /** No dedupe. */
    SeenCells NONE =
            new SeenCells() {
                @Override
                public Seen lookup(String cellId, long timestamp) {
                    return null;
                }

                @Override
                public void remember(String cellId, long timestamp, Seen seen) {}
            };
}
