package org.bloomstream.aggregation.mil;

import java.io.Serializable;
import java.util.List;
import org.bloomstream.schemas.avro.ClassifiedCell;

/**
 * A multi-attention MIL model split the way streaming needs it: an instance part run once per cell
 * (attention logits per class, and the value vector that gets pooled) and a bag head run on the
 * pooled {@code [C, D]} representation.
 */
public interface MilModel extends Serializable {

    String modelId();

    /** Class names in output order (AML subtypes and the control class). */
    List<String> classes();

    /** The class that means "no subtype": never alerted on. */
    String controlClass();

    /** Length of the value vectors that are pooled. */
    int valueDim();

    /** Attention logits [C] and value vector [valueDim] for one cell. */
    Instance score(ClassifiedCell cell);

    /** Class logits [C] from the pooled representation [C][valueDim]. */
    double[] bagLogits(double[][] pooled);

    /** The instance part's output for one cell. */
    record Instance(float[] attention, float[] value) {}

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
