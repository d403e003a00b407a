package org.bloomstream.ingest.gate;

import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.bloomstream.schemas.DeadLetters;
import org.bloomstream.schemas.SourceRecord;
import org.bloomstream.schemas.Topics;

/**
 * The ingest gate: a Kafka Streams topology from {@code cells.raw} to {@code cells.accepted} and
 * {@code cells.dead}. Every raw record ends in exactly one of the two, with exactly-once
 * processing, so a crop is never lost and never doubled between scanner and job.
 */
public final class IngestGate {
    private IngestGate() {}

    public static Topology topology(GateConfig config) {
        StreamsBuilder builder = new StreamsBuilder();
        KStream<byte[], CropValidator.Decision> decided =
                builder.stream(
                                Topics.CELLS_RAW.name(),
                                Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                                        .withName("raw-crops"))
                        .processValues(() -> new Validate(config), Named.as("validate"));
        decided.filter((k, d) -> d.accepted() != null, Named.as("accepted"))
                .map(
                        (k, d) -> KeyValue.pair(d.accepted().getSpecimenId(), d.accepted()),
                        Named.as("key-by-specimen"))
                .to(
                        Topics.CELLS_ACCEPTED.name(),
                        Produced.with(
                                        Topics.CELLS_ACCEPTED.keySerde(),
                                        Topics.CELLS_ACCEPTED.valueSerde())
                                .withName("to-accepted"));
        decided.filter((k, d) -> d.dead() != null, Named.as("rejected"))
                .map(
                        (k, d) -> KeyValue.pair(DeadLetters.keyOf(d.dead()), d.dead()),
                        Named.as("key-dead"))
                .to(
                        Topics.CELLS_DEAD.name(),
                        Produced.with(Topics.CELLS_DEAD.keySerde(), Topics.CELLS_DEAD.valueSerde())
                                .withName("to-dead"));
        return builder.build();
    }

    /** Streams settings for the gate: exactly-once v2, a short commit interval. */
    public static Properties streamsConfig(String bootstrapServers, String appId, Path stateDir) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        p.put(StreamsConfig.producerPrefix("compression.type"), "lz4");
        p.put(StreamsConfig.producerPrefix("max.request.size"), 16 * 1024 * 1024);
        p.put(StreamsConfig.consumerPrefix("max.partition.fetch.bytes"), 16 * 1024 * 1024);
        return p;
    }

    /** Runs the validator with the record's source coordinates. */
    private static final class Validate
            implements FixedKeyProcessor<byte[], byte[], CropValidator.Decision> {
        private final CropValidator validator;
        private FixedKeyProcessorContext<byte[], CropValidator.Decision> context;

        Validate(GateConfig config) {
            this.validator = new CropValidator(config);
        }

        @Override
        public void init(FixedKeyProcessorContext<byte[], CropValidator.Decision> context) {
            this.context = context;
        }

        @Override
        public void process(FixedKeyRecord<byte[], byte[]> record) {
            RecordMetadata md = context.recordMetadata().orElse(null);
            SourceRecord src =
                    new SourceRecord(
                            md == null ? Topics.CELLS_RAW.name() : md.topic(),
                            md == null ? -1 : md.partition(),
                            md == null ? -1 : md.offset(),
                            record.timestamp(),
                            record.key(),
                            record.value());
            context.forward(record.withValue(validator.validate(src)));
        }
    }
}
