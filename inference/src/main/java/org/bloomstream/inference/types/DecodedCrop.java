package org.bloomstream.inference.types;

import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * A crop decoded and resized to the model's input size, as packed RGB bytes (HWC). Kept as bytes
 * rather than normalised floats: 4x less to copy between operators, and the micro-batcher
 * normalises while it packs the tensor.
 *
 * <p>Not changed once emitted: Flink hands it from decode to embed without a copy ({@link
 * DecodedCropSerializer}).
 */
@TypeInfo(DecodedCropTypeInfo.Factory.class)
public class DecodedCrop {
    public CellMeta meta;
    public int size;
    public byte[] rgb;

    public DecodedCrop() {}

    public DecodedCrop(CellMeta meta, int size, byte[] rgb) {
        this.meta = meta;
        this.size = size;
        this.rgb = rgb;
    }
}
