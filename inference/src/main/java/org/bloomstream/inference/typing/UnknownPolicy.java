package org.bloomstream.inference.typing;

import java.io.Serializable;

/**
 * When a cell is typed "unknown" rather than given its most probable type.
 *
 * <ul>
 *   <li><b>Out of distribution</b>: the embedding's cosine similarity to the head's nearest
 *       reference (the nearest reference cell of a kNN head, the nearest class centroid otherwise)
 *       is below {@code minSimilarity}. Such a cell looks like nothing the head was fitted on (a
 *       cell type outside the vocabulary, debris, a focus or staining problem), so its
 *       probabilities over the known classes mean little however peaked they are.
 *   <li><b>Low confidence</b>: the most probable type has probability below {@code minConfidence}.
 * </ul>
 *
 * The distribution check comes first: it is the stronger statement. Both thresholds are recorded in
 * the head file when it is fitted ({@code minSimilarity} as the {@code similarityQuantile} of the
 * fitting cells' own similarities, leave-one-out for kNN) and can be overridden when the pipeline
 * starts. The probabilities stay on the record either way, so a consumer can apply its own rule.
 *
 * <p>Limit: the similarity threshold is a quantile of the fitting data, so by construction about
 * {@code similarityQuantile} of cells like the fitting cells are flagged too; it catches cells far
 * from everything, not subtle shifts.
 *
 * @param minConfidence probability the top type needs; 0 turns the check off
 * @param minSimilarity cosine similarity to the nearest reference a cell needs; {@code -Infinity}
 *     turns the check off
 * @param similarityQuantile the quantile of the fitting cells' similarities {@code minSimilarity}
 *     was set from (provenance only; NaN when set by hand)
 */
public record UnknownPolicy(double minConfidence, double minSimilarity, double similarityQuantile)
        implements Serializable {

    public static final String LOW_CONFIDENCE = "low-confidence";
    public static final String OUT_OF_DISTRIBUTION = "out-of-distribution";

    /** Every cell gets its most probable type. */
    public static final UnknownPolicy OFF =
            new UnknownPolicy(0, Double.NEGATIVE_INFINITY, Double.NaN);

    public UnknownPolicy {
        if (!(minConfidence >= 0 && minConfidence <= 1)) {
            throw new IllegalArgumentException(
                    "minConfidence must be in [0, 1], was " + minConfidence);
        }
        if (Double.isNaN(minSimilarity) || minSimilarity > 1) {
            throw new IllegalArgumentException(
                    "minSimilarity must be at most 1 (or -Infinity for off), was " + minSimilarity);
        }
    }

    public UnknownPolicy withMinConfidence(double v) {
        return new UnknownPolicy(v, minSimilarity, similarityQuantile);
    }

    public UnknownPolicy withMinSimilarity(double v) {
        return new UnknownPolicy(minConfidence, v, Double.NaN);
    }

    /** Why a cell with these scores is unknown, or null when it gets its type. */
    public String reason(float confidence, float similarity) {
        if (similarity < minSimilarity) {
            return OUT_OF_DISTRIBUTION;
        }
        if (confidence < minConfidence) {
            return LOW_CONFIDENCE;
        }
        return null;
    }
}
