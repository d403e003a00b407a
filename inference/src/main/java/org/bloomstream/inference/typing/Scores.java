package org.bloomstream.inference.typing;

/**
 * What a head says about a batch of embeddings, row by row.
 *
 * @param probabilities per row, one probability per class in the head's class order
 * @param similarity per row, the cosine similarity to the head's nearest reference (see {@link
 *     UnknownPolicy}); the input of the out-of-distribution check
 * @param best per row, the chosen class where the head breaks ties its own way (kNN: by summed
 *     similarity of the voters); null means the most probable class, the first on ties
 */
public record Scores(float[][] probabilities, float[] similarity, int[] best) {

    /** Scores whose best class is the most probable one (the first on ties). */
    public Scores(float[][] probabilities, float[] similarity) {
        this(probabilities, similarity, null);
    }

    /** Row {@code i} as a decision under {@code policy}. */
    public Prediction prediction(int i, CellTypeHead head, UnknownPolicy policy) {
        float[] p = probabilities[i];
        int best = this.best != null ? this.best[i] : Vectors.argmax(p);
        String reason = policy.reason(p[best], similarity[i]);
        return new Prediction(
                best,
                reason == null ? head.classes().get(best) : CellTypeHead.UNKNOWN,
                p[best],
                similarity[i],
                reason);
    }
}
