package org.bloomstream.schemas;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for one generated Avro class, in Avro's <em>single-object encoding</em> (two magic
 * bytes, the 8-byte CRC-64 fingerprint of the writer schema, then Avro binary).
 *
 * <p>This is the registry-less default of the embedded mode: every record names its writer schema
 * by fingerprint, so a reader resolves any writer schema it has been told about with {@link
 * #addWriterSchema(Schema)} (schema evolution) and rejects unknown ones with a clear error instead
 * of mis-reading bytes. The Confluent wire format against a schema registry is a separate serde.
 *
 * <p>Instances are thread-safe: Avro's message encoder and decoder keep per-thread buffers.
 */
public final class AvroSerde<T extends SpecificRecord>
        implements Serde<T>, Serializer<T>, Deserializer<T> {

    private final Class<T> type;
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    /** Writer schemas by fingerprint, for {@link AvroLengthCheck}. */
    private final Map<Long, Schema> writers = new ConcurrentHashMap<>();

    /** Single-object encoding: 2 marker bytes and the 8-byte schema fingerprint. */
    private static final int HEADER = 10;

    public AvroSerde(Class<T> type) {
        this.type = Objects.requireNonNull(type, "type");
        SpecificData model = SpecificData.getForClass(type);
        Schema schema = model.getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(model, schema);
        this.decoder = new BinaryMessageDecoder<>(model, schema);
        writers.put(SchemaNormalization.parsingFingerprint64(schema), schema);
    }

    /** Lets this serde read records written with an older or newer version of the schema. */
    public AvroSerde<T> addWriterSchema(Schema writerSchema) {
        decoder.addSchema(writerSchema);
        writers.put(SchemaNormalization.parsingFingerprint64(writerSchema), writerSchema);
        return this;
    }

    public Class<T> type() {
        return type;
    }

    /** Encodes one record; never returns null for a non-null record. */
    public byte[] encode(T record) {
        try {
            ByteBuffer buffer = encoder.encode(record);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException | AvroRuntimeException | NullPointerException e) {
            throw new SerializationException(
                    "cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decodes one record.
     *
     * @throws SerializationException when the bytes are not a single-object-encoded record of a
     *     known schema version; the message says why, so it can go into a dead letter.
     */
    public T decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new SerializationException("empty payload, expected " + type.getSimpleName());
        }
        // Avro allocates a string or bytes field at its declared length before reading it: check
        // every declared length against the record's size first (see AvroLengthCheck).
        if (bytes.length >= HEADER && bytes[0] == (byte) 0xC3 && bytes[1] == (byte) 0x01) {
            long fingerprint =
                    ByteBuffer.wrap(bytes, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            Schema writer = writers.get(fingerprint);
            String invalid = writer == null ? null : AvroLengthCheck.check(writer, bytes, HEADER);
            if (invalid != null) {
                throw new SerializationException(
                        "not a " + type.getSimpleName() + " record: " + invalid);
            }
        }
        try {
            return decoder.decode(bytes);
        } catch (IOException | RuntimeException e) {
            // Untrusted bytes: Avro signals damage with many exception types (a corrupt length
            // prefix even gives UnsupportedOperationException). All of them mean "not a record".
            throw new SerializationException(
                    "not a " + type.getSimpleName() + " record: " + e.getMessage(), e);
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return data == null ? null : encode(data);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return data == null ? null : decode(data);
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {}

    @Override
    public void close() {}
}
