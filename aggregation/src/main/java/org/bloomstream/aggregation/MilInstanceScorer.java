package org.bloomstream.aggregation;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.bloomstream.aggregation.mil.MilModel;
import org.bloomstream.schemas.avro.ClassifiedCell;

/**
 * Runs the MIL instance part on each cell and puts its attention logits on the classified-cell
 * record: consumers of {@code cells.classified} see how much each cell counts towards each subtype,
 * and the keyed MIL stage only pools and runs the bag head.
 */
public class MilInstanceScorer extends RichMapFunction<ClassifiedCell, ClassifiedCell> {
    private static final long serialVersionUID = 1L;

    private final MilModel model;
    private transient MilModel.Runtime runtime;

    public MilInstanceScorer(MilModel model) {
        this.model = model;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        runtime = model.open();
    }

    @Override
    public ClassifiedCell map(ClassifiedCell cell) {
        if (cell.getEmbedding() == null) {
            throw new IllegalStateException("cell without embedding reached the MIL scorer");
        }
        float[] a = runtime.attention(SpecimenMilFunction.toArray(cell.getEmbedding()));
        List<Float> attention = new ArrayList<>(a.length);
        for (float v : a) {
            attention.add(v);
        }
        cell.setMilAttention(attention);
        return cell;
    }

    @Override
    public void close() {
        if (runtime != null) {
            runtime.close();
        }
    }
}
