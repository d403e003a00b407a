package org.bloomstream.inference.types;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

class DecodedCropSerializerTest {
    private final DecodedCropSerializer serializer = DecodedCropSerializer.INSTANCE;

    static DecodedCrop crop() {
        CellMeta m = new CellMeta();
        m.cellId = "c-1";
        m.specimenId = "S-1";
        m.scanId = "S-1-scan";
        m.scannerId = "scanner";
        m.captureTime = 1_700_000_000_123L;
        m.referenceLabel = null;
        m.alphaPolicy = "drop";
        m.ingestTime = 1_700_000_000_456L;
        m.decodeMicros = 812;
        m.sourceTopic = "cells.accepted";
        m.sourcePartition = 3;
        m.sourceOffset = 1234567890123L;
        byte[] rgb = new byte[4 * 4 * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 7);
        }
        return new DecodedCrop(m, 4, rgb);
    }

    @Test
    void flinkExtractsThisSerializerForTheType() {
        TypeInformation<DecodedCrop> info = TypeInformation.of(DecodedCrop.class);

        assertThat(info).isInstanceOf(DecodedCropTypeInfo.class);
        assertThat(info.createSerializer(new SerializerConfigImpl())).isSameAs(serializer);
    }

    @Test
    void copyHandsTheSameCropOverWithoutCopyingItsPixels() {
        DecodedCrop c = crop();

        assertThat(serializer.copy(c)).isSameAs(c);
        assertThat(serializer.copy(c, new DecodedCrop())).isSameAs(c);
    }

    @Test
    void aCropRoundTripsFieldByField() throws Exception {
        DecodedCrop c = crop();
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(c, out);

        DecodedCrop back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

        assertThat(back).isNotSameAs(c);
        assertThat(back.size).isEqualTo(4);
        assertThat(back.rgb).isEqualTo(c.rgb);
        assertThat(back.meta).usingRecursiveComparison().isEqualTo(c.meta);
        assertThat(back.meta.referenceLabel).isNull();
    }

    @Test
    void aCropAtItsDecodedSizeKeepsItsDimensions() throws Exception {
        DecodedCrop c = DecodedCrop.raw(crop().meta, 3, 5, new byte[3 * 5 * 3]);
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(c, out);

        DecodedCrop back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

        assertThat(back).usingRecursiveComparison().isEqualTo(c);
        assertThat(back.width).isEqualTo(3);
        assertThat(back.height).isEqualTo(5);
    }

    @Test
    void everyFieldIsWritten() {
        // A tripwire: the serializer lists the fields by hand, so a new one must be added there.
        assertThat(java.util.Arrays.stream(DecodedCrop.class.getFields()).map(f -> f.getName()))
                .containsExactlyInAnyOrder("meta", "size", "width", "height", "rgb");
        assertThat(java.util.Arrays.stream(CellMeta.class.getFields()).map(f -> f.getName()))
                .as("CellMeta's fields, each written by DecodedCropSerializer")
                .hasSize(12);
    }

    @Test
    void missingMetaAndPixelsRoundTripAsMissing() throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(16);
        serializer.serialize(new DecodedCrop(null, 224, null), out);

        DecodedCrop back = serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

        assertThat(back.meta).isNull();
        assertThat(back.rgb).isNull();
        assertThat(back.size).isEqualTo(224);
    }

    @Test
    void aRestoredSnapshotGivesTheSameSerializer() {
        assertThat(serializer.snapshotConfiguration().restoreSerializer()).isSameAs(serializer);
    }
}
