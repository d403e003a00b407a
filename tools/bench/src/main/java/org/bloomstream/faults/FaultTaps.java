package org.bloomstream.faults;

import org.apache.flink.streaming.api.datastream.DataStream;
import org.bloomstream.job.BloomstreamJob;
import org.bloomstream.schemas.avro.ClassifiedCell;

/**
 * The suite's two injection points: a failure point on the classified cells (in the embedder's
 * task, upstream of both the classified sink and the specimen MIL, so a failure rolls back Kafka
 * transactions and keyed state together), and a stall point right before the classified sink.
 */
public final class FaultTaps implements BloomstreamJob.Taps {
    @Override
    public DataStream<ClassifiedCell> classified(DataStream<ClassifiedCell> cells) {
        return cells.map(new FaultInjector<ClassifiedCell>(FaultInjector.Role.FAIL))
                .returns(cells.getType())
                .name("fault-fail")
                .uid("fault-fail");
    }

    @Override
    public DataStream<ClassifiedCell> beforeClassifiedSink(DataStream<ClassifiedCell> cells) {
        return cells.map(new FaultInjector<ClassifiedCell>(FaultInjector.Role.STALL))
                .returns(cells.getType())
                .name("fault-stall")
                .uid("fault-stall");
    }
}
