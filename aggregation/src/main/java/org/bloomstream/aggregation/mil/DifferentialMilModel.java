package org.bloomstream.aggregation.mil;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.LabelProbability;

/**
 * The walking skeleton's MIL model: multi-attention MIL over each cell's <em>type
 * probabilities</em> rather than its embedding, with weights derived from known class profiles. The
 * trained DinoBloom MIL on embeddings (ONNX instance part + bag head) replaces it in the MIL issue;
 * the streaming pooling, the state and the alert policy stay the same.
 *
 * <p>Instance part: value {@code h_i = p_i} (the cell's type distribution); attention logit {@code
 * a_ic = sum_t A[c][t] * p_it} with {@code A[c][t] = alpha * (log P_c[t] - mean_c' log P_c'[t])},
 * so each class attends to the cell types that are characteristic of it. The top-attended cells per
 * class are therefore the ones a hematologist would look at for that call.
 *
 * <p>Bag head: the attention tilts {@code z_c} towards class c's characteristic types; the head
 * undoes that tilt ({@code f_t ~ z_ct / exp(A[c][t])}, exact for confident cells) and scores the
 * recovered differential by its multinomial log-likelihood under class c's profile, scaled by an
 * effective cell count that sets how quickly the call becomes confident. In short: a naive Bayes
 * classifier on the differential, computed through the same pooling a learned MIL uses.
 */
public final class DifferentialMilModel implements MilModel {
    private static final long serialVersionUID = 1L;
    public static final String FORMAT = "bloomstream-mil-differential/1";

    private final String modelId;
    private final List<String> classes;
    private final String controlClass;
    private final List<String> cellTypes;
    private final double[][] logProfiles; // [C][T]
    private final double[][] attention; // [C][T]
    private final double effectiveCells;
    private final double attentionScale;
    private transient Map<String, Integer> typeIndex;

    public DifferentialMilModel(
            String modelId,
            List<String> classes,
            String controlClass,
            List<String> cellTypes,
            double[][] logProfiles,
            double attentionScale,
            double effectiveCells) {
        if (!classes.contains(controlClass)) {
            throw new IllegalArgumentException("control class " + controlClass + " not in classes");
        }
        if (logProfiles.length != classes.size()) {
            throw new IllegalArgumentException("one profile per class is required");
        }
        for (double[] row : logProfiles) {
            if (row.length != cellTypes.size()) {
                throw new IllegalArgumentException("a profile does not cover every cell type");
            }
        }
        this.modelId = modelId;
        this.classes = List.copyOf(classes);
        this.controlClass = controlClass;
        this.cellTypes = List.copyOf(cellTypes);
        this.logProfiles = logProfiles;
        this.attentionScale = attentionScale;
        this.effectiveCells = effectiveCells;
        int c = classes.size();
        int t = cellTypes.size();
        this.attention = new double[c][t];
        for (int j = 0; j < t; j++) {
            double mean = 0;
            for (int i = 0; i < c; i++) {
                mean += logProfiles[i][j] / c;
            }
            for (int i = 0; i < c; i++) {
                attention[i][j] = attentionScale * (logProfiles[i][j] - mean);
            }
        }
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    @Override
    public String controlClass() {
        return controlClass;
    }

    public List<String> cellTypes() {
        return cellTypes;
    }

    @Override
    public int valueDim() {
        return cellTypes.size();
    }

    /** Throws when a head's vocabulary cannot feed this model. */
    public void checkCellTypes(List<String> headClasses) {
        if (!headClasses.containsAll(cellTypes) || !cellTypes.containsAll(headClasses)) {
            throw new IllegalArgumentException(
                    "MIL model "
                            + modelId
                            + " expects cell types "
                            + cellTypes
                            + " but the head gives "
                            + headClasses);
        }
    }

    @Override
    public Instance score(ClassifiedCell cell) {
        float[] p = new float[cellTypes.size()];
        for (LabelProbability lp : cell.getTypeProbabilities()) {
            Integer t = index().get(lp.getLabel());
            if (t != null) {
                p[t] = lp.getProbability();
            }
        }
        float[] a = new float[classes.size()];
        for (int c = 0; c < a.length; c++) {
            double s = 0;
            for (int t = 0; t < p.length; t++) {
                s += attention[c][t] * p[t];
            }
            a[c] = (float) s;
        }
        return new Instance(a, p);
    }

    @Override
    public double[] bagLogits(double[][] pooled) {
        double[] logits = new double[classes.size()];
        for (int c = 0; c < logits.length; c++) {
            double norm = 0;
            double ll = 0;
            for (int t = 0; t < cellTypes.size(); t++) {
                double f = pooled[c][t] * Math.exp(-attention[c][t]);
                norm += f;
                ll += f * logProfiles[c][t];
            }
            logits[c] = norm > 0 ? effectiveCells * ll / norm : 0;
        }
        return logits;
    }

    private Map<String, Integer> index() {
        if (typeIndex == null) {
            Map<String, Integer> m = new HashMap<>();
            for (int i = 0; i < cellTypes.size(); i++) {
                m.put(cellTypes.get(i), i);
            }
            typeIndex = m;
        }
        return typeIndex;
    }

    public static DifferentialMilModel read(Path json) throws IOException {
        File f = new ObjectMapper().readValue(json.toFile(), File.class);
        if (!FORMAT.equals(f.format)) {
            throw new IOException(json + ": format is " + f.format + ", expected " + FORMAT);
        }
        try {
            return new DifferentialMilModel(
                    f.modelId,
                    f.classes,
                    f.controlClass,
                    f.cellTypes,
                    f.logProfiles,
                    f.attentionScale,
                    f.effectiveCells);
        } catch (IllegalArgumentException e) {
            throw new IOException(json + ": " + e.getMessage(), e);
        }
    }

    public void write(Path json) throws IOException {
        File f = new File();
        f.format = FORMAT;
        f.modelId = modelId;
        f.classes = classes;
        f.controlClass = controlClass;
        f.cellTypes = cellTypes;
        f.logProfiles = logProfiles;
        f.attentionScale = attentionScale;
        f.effectiveCells = effectiveCells;
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), f);
    }

    /** The JSON layout. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    static final class File {
        public String format;
        public String modelId;
        public List<String> classes;
        public String controlClass;
        public List<String> cellTypes;
        public double[][] logProfiles;
        public double attentionScale;
        public double effectiveCells;
    }
}
