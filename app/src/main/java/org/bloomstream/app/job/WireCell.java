package org.bloomstream.app.job;

import org.apache.flink.api.common.functions.MapFunction;
import org.bloomstream.schemas.avro.ClassifiedCell;

/** The classified cell as published: without the embedding unless configured to emit it. */
public class WireCell implements MapFunction<ClassifiedCell, ClassifiedCell> {
    private static final long serialVersionUID = 1L;
    private final boolean emitEmbeddings;

    public WireCell(boolean emitEmbeddings) {
        this.emitEmbeddings = emitEmbeddings;
    }

    @Override
    public ClassifiedCell map(ClassifiedCell cell) {
        if (emitEmbeddings || cell.getEmbedding() == null) {
            return cell;
        }
        return ClassifiedCell.newBuilder(cell).setEmbedding(null).build();
    }
}
