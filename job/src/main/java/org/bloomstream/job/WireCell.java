package org.bloomstream.job;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.bloomstream.schemas.avro.ClassifiedCell;

/**
 * The classified cell as published: without the embedding unless configured to emit it. Also where
 * the end-to-end latency is measured ({@code endToEndLatencyMs}): from the Kafka timestamp the crop
 * got when the scanner produced it (the gate keeps it) to the moment it is handed to the classified
 * topic's writer. With exactly-once sinks, consumers see it at the next checkpoint.
 */
public class WireCell extends RichMapFunction<ClassifiedCell, ClassifiedCell> {
    private static final long serialVersionUID = 1L;
    private final boolean emitEmbeddings;
    private transient Histogram latency;

    public WireCell(boolean emitEmbeddings) {
        this.emitEmbeddings = emitEmbeddings;
    }

    @Override
    public void open(OpenContext openContext) {
        latency =
                getRuntimeContext()
                        .getMetricGroup()
                        .histogram("endToEndLatencyMs", new DescriptiveStatisticsHistogram(4096));
    }

    @Override
    public ClassifiedCell map(ClassifiedCell cell) {
        latency.update(
                System.currentTimeMillis() - cell.getTimings().getIngestTime().toEpochMilli());
        if (emitEmbeddings || cell.getEmbedding() == null) {
            return cell;
        }
        return ClassifiedCell.newBuilder(cell).setEmbedding(null).build();
    }
}
