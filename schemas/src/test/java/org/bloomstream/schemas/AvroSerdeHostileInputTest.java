package org.bloomstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Records whose length prefixes lie. Avro alone allocates what the prefix declares (up to 2 GB)
 * before it finds the record is short: the fuzzer's first run died of an OutOfMemoryError this way.
 */
class AvroSerdeHostileInputTest {
    private final AvroSerde<CellCrop> serde = new AvroSerde<>(CellCrop.class);

    private static CellCrop crop() {
        return CellCrop.newBuilder()
                .setCellId("c")
                .setSpecimenId("s")
                .setScanId("scan")
                .setScannerId("x")
                .setCaptureTime(Instant.EPOCH)
                .setImage(ByteBuffer.wrap(new byte[] {1, 2, 3}))
                .setEncoding(ImageEncoding.UNKNOWN)
                .setWidth(1)
                .setHeight(1)
                .build();
    }

    @ParameterizedTest
    @ValueSource(longs = {Integer.MAX_VALUE - 8, Integer.MAX_VALUE, 1L << 40, -5})
    void aStringLengthBeyondTheRecordIsBadSchemaWithoutAllocatingIt(long length) throws Exception {
        byte[] header = Arrays.copyOf(serde.encode(crop()), 10);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header);
        BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
        enc.writeLong(length);
        enc.flush();
        out.write(new byte[] {'a', 'b', 'c'});
        assertThatThrownBy(() -> serde.decode(out.toByteArray()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("declares " + length + " bytes");
    }

    @Test
    void anImageLengthBeyondTheRecordIsBadSchema() throws Exception {
        byte[] good = serde.encode(crop());
        // the image's length prefix sits right after the 3 bytes of its content... find it
        // by re-encoding with a known image size and patching that varint (3 -> zigzag 6)
        int at = -1;
        for (int i = 10; i < good.length - 3; i++) {
            if (good[i] == 6 && good[i + 1] == 1 && good[i + 2] == 2 && good[i + 3] == 3) {
                at = i;
            }
        }
        assertThat(at).isPositive();
        byte[] bad = new byte[good.length + 4];
        System.arraycopy(good, 0, bad, 0, at);
        // zigzag(1 << 30) as a varint: 5 bytes
        byte[] varint = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08};
        System.arraycopy(varint, 0, bad, at, 5);
        System.arraycopy(good, at + 1, bad, at + 5, good.length - at - 1);
        assertThatThrownBy(() -> serde.decode(bad))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("declares 1073741824 bytes");
    }

    @Test
    void validRecordsOfEveryShapeStillDecode() {
        assertThat(serde.decode(serde.encode(crop()))).isEqualTo(crop());
        AvroSerde<ClassifiedCell> cells = new AvroSerde<>(ClassifiedCell.class);
        assertThat(cells).isNotNull();
    }
}
