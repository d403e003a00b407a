package org.bloomstream.inference.typing;

/**
 * The type given to one cell.
 *
 * @param best index of the most probable class (in the head's class order), also when unknown
 * @param type that class's name, or {@link CellTypeHead#UNKNOWN}
 * @param confidence probability of the most probable class
 * @param similarity cosine similarity to the head's nearest reference
 * @param unknownReason null when typed; else {@link UnknownPolicy#LOW_CONFIDENCE} or {@link
 *     UnknownPolicy#OUT_OF_DISTRIBUTION}
 */
public record Prediction(
        int best, String type, float confidence, float similarity, String unknownReason) {

    public boolean unknown() {
        return unknownReason != null;
    }
}
