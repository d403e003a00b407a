package org.bloomstream.job;

import java.io.Serializable;
import org.bloomstream.inference.typing.UnknownPolicy;

/**
 * Thresholds for "unknown" cells set when the job starts, over the ones recorded in the head file.
 * Either may be null (keep the head's).
 *
 * @param minConfidence top-type probability below which a cell is unknown; 0 turns it off
 * @param minSimilarity similarity to the nearest reference below which a cell is unknown; {@code
 *     -Infinity} turns it off
 */
public record UnknownOverrides(Double minConfidence, Double minSimilarity) implements Serializable {
    public static final UnknownOverrides NONE = new UnknownOverrides(null, null);

    public UnknownPolicy applyTo(UnknownPolicy headPolicy) {
        UnknownPolicy p = headPolicy;
        if (minConfidence != null) {
            p = p.withMinConfidence(minConfidence);
        }
        if (minSimilarity != null) {
            p = p.withMinSimilarity(minSimilarity);
        }
        return p;
    }

    /** Parses a CLI value: a number, or {@code off}. */
    public static Double parse(String value, double off, String option) {
        if (value == null) {
            return null;
        }
        if (value.equalsIgnoreCase("off")) {
            return off;
        }
        try {
            return Double.valueOf(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    option + " takes a number or 'off', was '" + value + "'");
        }
    }
}
