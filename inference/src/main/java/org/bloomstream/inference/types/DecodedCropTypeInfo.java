package org.bloomstream.inference.types;

import java.lang.reflect.Type;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/**
 * Flink's type information for {@link DecodedCrop}: its serializer is {@link
 * DecodedCropSerializer}, picked up wherever Flink extracts the type ({@code @TypeInfo} on the
 * class), so the job's wiring does not change.
 */
public final class DecodedCropTypeInfo extends ByReferenceTypeInfo<DecodedCrop> {
    private static final long serialVersionUID = 1L;

    /** Named on {@link DecodedCrop} by {@code @TypeInfo}. */
    public static final class Factory extends TypeInfoFactory<DecodedCrop> {
        @Override
        public TypeInformation<DecodedCrop> createTypeInfo(
                Type t, Map<String, TypeInformation<?>> genericParameters) {
            return new DecodedCropTypeInfo();
        }
    }

    public DecodedCropTypeInfo() {
        super(DecodedCrop.class, DecodedCropSerializer.INSTANCE);
    }
}
