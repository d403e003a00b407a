package org.bloomstream.inference.typing;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bloomstream.inference.model.ExecutionConfig;

/**
 * A cell-type head: frozen embeddings in, per-class probabilities out. Three kinds share one
 * versioned file format ({@link HeadFiles}):
 *
 * <ul>
 *   <li>{@code knn} ({@link KnnHead}): majority vote of the k nearest reference cells, by cosine
 *       similarity (the default) or Euclidean distance (scikit-learn's default, which DinoBloom's
 *       evaluation uses); k = 20 by default;
 *   <li>{@code linear} ({@link LinearHead}): a multinomial logistic regression (linear probe) on
 *       standardised embeddings;
 *   <li>{@code nearest-centroid} ({@link CentroidHead}): the walking skeleton's head, kept so old
 *       files still load.
 * </ul>
 *
 * Every head records its class vocabulary, the embedding model it was fitted on and the embedding
 * width, and refuses embeddings from another model ({@link #checkCompatible}). A head is immutable
 * and serialisable; scoring happens in a {@link HeadScorer} opened from it.
 */
public interface CellTypeHead extends Serializable {
    /** The file format; see {@link HeadFiles}. */
    String FORMAT = "bloomstream-head/1";

    /** The type of a cell the head will not vouch for (see {@link UnknownPolicy}). */
    String UNKNOWN = "unknown";

    /** {@code knn}, {@code linear} or {@code nearest-centroid}. */
    String kind();

    /** What every head records: ids, width, classes, thresholds and provenance. */
    HeadInfo info();

    default String headId() {
        return info().headId();
    }

    default String embeddingModelId() {
        return info().embeddingModelId();
    }

    default int dim() {
        return info().dim();
    }

    default List<String> classes() {
        return info().classes();
    }

    /** The thresholds recorded when the head was fitted. */
    default UnknownPolicy unknownPolicy() {
        return info().unknownPolicy();
    }

    /** The same head with other thresholds. */
    CellTypeHead withUnknownPolicy(UnknownPolicy policy);

    /** How the head was fitted (free-form, for people: data, library, settings). */
    default Map<String, String> provenance() {
        return info().provenance();
    }

    /**
     * Opens the head for scoring. A kNN head runs its similarity search on the provider of {@code
     * exec} (CUDA for the GPU providers, so the bank sits next to the embedder); the others run in
     * Java and ignore it.
     */
    HeadScorer open(ExecutionConfig exec) throws IOException;

    /** Opens the head on CPU with ONNX Runtime choosing its threads. */
    default HeadScorer open() throws IOException {
        return open(ExecutionConfig.cpu(0));
    }

    default void write(Path file) throws IOException {
        HeadFiles.write(this, file);
    }

    /** Fails with a clear message when the head was fitted on another embedding model. */
    default void checkCompatible(String modelId, int modelDim) {
        if (!embeddingModelId().equals(modelId) || dim() != modelDim) {
            throw new IllegalArgumentException(
                    "head "
                            + headId()
                            + " ("
                            + kind()
                            + ") was fitted on "
                            + embeddingModelId()
                            + " ("
                            + dim()
                            + " dims) but the embedder is "
                            + modelId
                            + " ("
                            + modelDim
                            + " dims); refit the head on this model's embeddings"
                            + " (bloomstream embed, then bloomstream fit-head)");
        }
    }
}
