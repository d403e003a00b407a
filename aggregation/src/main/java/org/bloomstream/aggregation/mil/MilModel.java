package org.bloomstream.aggregation.mil;

import java.io.Serializable;
import java.util.List;

/**
 * A multi-attention MIL model split the way streaming needs it: an instance part run once per cell
 * (one attention logit per class; the value that is pooled is the cell's embedding) and a bag head
 * run on the pooled {@code [C, D]} representation.
 *
 * <p>The model object is what ships with the job graph (serialisable, no native resources); {@link
 * #open()} gives a {@link Runtime} per subtask.
 */
public interface MilModel extends Serializable {

    String modelId();

    /** The embedding model whose vectors this MIL was trained on. */
    String embeddingModelId();

    /** Class names in output order (AML subtypes and the control class). */
    List<String> classes();

    /** The class that means "no subtype": never alerted on. */
    String controlClass();

    /** D: the embedding width. */
    int embeddingDim();

    /** Opens the model for one subtask (native sessions). */
    Runtime open() throws Exception;

    /** The executable model. Not thread-safe; one per subtask. */
    interface Runtime extends AutoCloseable {
        /** Attention logits [C] for one cell's embedding [D]. */
        float[] attention(float[] embedding);

        /**
         * Attention logits [n][C] for the first {@code n} embeddings [D]: one model call for a
         * micro-batch where the runtime can (ONNX Runtime), one per cell here.
         */
        default float[][] attention(float[][] embeddings, int n) {
            float[][] a = new float[n][];
            for (int i = 0; i < n; i++) {
                a[i] = attention(embeddings[i]);
            }
            return a;
        }

        /** Class logits [C] for the pooled representation [C][D]. */
        double[] logits(double[][] pooled);

        @Override
        void close();
    }

    /** Softmax of logits, computed stably. */
    static double[] softmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
