package org.bloomstream.devkit.inmemory;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource.NumberSequenceSplit;
import org.apache.flink.api.connector.source.lib.util.IteratorSourceEnumerator;
import org.apache.flink.api.connector.source.lib.util.IteratorSourceReaderBase;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.util.NumberSequenceIterator;
import org.apache.kafka.common.utils.Utils;
import org.bloomstream.schemas.SourceRecord;

/**
 * A Kafka topic in memory: records are appended to partitions chosen from their key as Kafka's
 * default partitioner does, get consecutive offsets per partition, and are read back by a bounded
 * FLIP-27 source as the {@link SourceRecord}s the job's Kafka source would produce (topic,
 * partition, offset, timestamp, key, value). One split per partition, read in offset order, so one
 * specimen's records keep their order as they do on a real topic.
 */
final class InMemoryTopic {
    private final String name;
    private final List<List<Entry>> partitions = new ArrayList<>();

    InMemoryTopic(String name, int partitions) {
        this.name = name;
        for (int p = 0; p < partitions; p++) {
            this.partitions.add(new ArrayList<>());
        }
    }

    /** Appends a record to the partition of its key (murmur2, as Kafka's producer does). */
    void send(byte[] key, byte[] value, long timestamp) {
        int p = Utils.toPositive(Utils.murmur2(key)) % partitions.size();
        partitions.get(p).add(new Entry(key, value, timestamp));
    }

    int size() {
        return partitions.stream().mapToInt(List::size).sum();
    }

    /** A bounded source over what was sent so far; it ends when every partition is read. */
    Source<SourceRecord, ?, ?> source() {
        List<List<Entry>> copy = new ArrayList<>();
        for (List<Entry> p : partitions) {
            copy.add(new ArrayList<>(p));
        }
        return new TopicSource(name, copy);
    }

    private record Entry(byte[] key, byte[] value, long timestamp) implements Serializable {}

    /**
     * Splits are {@link NumberSequenceSplit}s over the offsets of one partition, the split id being
     * the partition: Flink's own serializers and enumerator then carry them through checkpoints.
     */
    private static final class TopicSource
            implements Source<SourceRecord, NumberSequenceSplit, Collection<NumberSequenceSplit>>,
                    ResultTypeQueryable<SourceRecord> {
        private static final long serialVersionUID = 1L;

        /** Only for its split and checkpoint serializers, which do not depend on the range. */
        private static final NumberSequenceSource SPLITS = new NumberSequenceSource(0, 0);

        private final String topic;
        private final List<List<Entry>> partitions;

        TopicSource(String topic, List<List<Entry>> partitions) {
            this.topic = topic;
            this.partitions = partitions;
        }

        @Override
        public Boundedness getBoundedness() {
            return Boundedness.BOUNDED;
        }

        @Override
        public TypeInformation<SourceRecord> getProducedType() {
            return TypeInformation.of(SourceRecord.class);
        }

        @Override
        public SplitEnumerator<NumberSequenceSplit, Collection<NumberSequenceSplit>>
                createEnumerator(SplitEnumeratorContext<NumberSequenceSplit> context) {
            List<NumberSequenceSplit> splits = new ArrayList<>();
            for (int p = 0; p < partitions.size(); p++) {
                if (!partitions.get(p).isEmpty()) {
                    splits.add(
                            new NumberSequenceSplit(
                                    String.valueOf(p), 0, partitions.get(p).size() - 1));
                }
            }
            return new IteratorSourceEnumerator<>(context, splits);
        }

        @Override
        public SplitEnumerator<NumberSequenceSplit, Collection<NumberSequenceSplit>>
                restoreEnumerator(
                        SplitEnumeratorContext<NumberSequenceSplit> context,
                        Collection<NumberSequenceSplit> checkpoint) {
            return new IteratorSourceEnumerator<>(context, checkpoint);
        }

        @Override
        public SourceReader<SourceRecord, NumberSequenceSplit> createReader(
                SourceReaderContext context) {
            return new Reader(context, topic, partitions);
        }

        @Override
        public SimpleVersionedSerializer<NumberSequenceSplit> getSplitSerializer() {
            return SPLITS.getSplitSerializer();
        }

        @Override
        public SimpleVersionedSerializer<Collection<NumberSequenceSplit>>
                getEnumeratorCheckpointSerializer() {
            return SPLITS.getEnumeratorCheckpointSerializer();
        }
    }

    private static final class Reader
            extends IteratorSourceReaderBase<
                    Long, SourceRecord, NumberSequenceIterator, NumberSequenceSplit> {
        private final String topic;
        private final List<List<Entry>> partitions;

        Reader(SourceReaderContext context, String topic, List<List<Entry>> partitions) {
            super(context);
            this.topic = topic;
            this.partitions = partitions;
        }

        @Override
        protected SourceRecord convert(Long offset) {
            int partition = Integer.parseInt(currentSplit.splitId());
            Entry e = partitions.get(partition).get(Math.toIntExact(offset));
            return new SourceRecord(topic, partition, offset, e.timestamp(), e.key(), e.value());
        }
    }
}
