package org.bloomstream.inference.types;

import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Flink's type information for {@link DecodedCrop}: its serializer is {@link
 * DecodedCropSerializer}, picked up wherever Flink extracts the type ({@code @TypeInfo} on the
 * class), so the job's wiring does not change.
 */
public final class DecodedCropTypeInfo extends TypeInformation<DecodedCrop> {
    private static final long serialVersionUID = 1L;

    /** Named on {@link DecodedCrop} by {@code @TypeInfo}. */
    public static final class Factory extends TypeInfoFactory<DecodedCrop> {
        @Override
        public TypeInformation<DecodedCrop> createTypeInfo(
                Type t, Map<String, TypeInformation<?>> genericParameters) {
            return new DecodedCropTypeInfo();
        }
    }

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<DecodedCrop> getTypeClass() {
        return DecodedCrop.class;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<DecodedCrop> createSerializer(SerializerConfig config) {
        return DecodedCropSerializer.INSTANCE;
    }

    @Override
    public String toString() {
        return "DecodedCrop";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DecodedCropTypeInfo;
    }

    @Override
    public int hashCode() {
        return DecodedCropTypeInfo.class.hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof DecodedCropTypeInfo;
    }
}
