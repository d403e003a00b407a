package org.bloomstream.inference.types;

import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * A crop decoded and resized to the model's input size, as packed RGB bytes (HWC). Kept as bytes
 * rather than normalised floats: 4x less to copy between operators, and the micro-batcher
 * normalises while it packs the tensor.
 *
 * <p>With resize in the graph ({@link #raw}) the crop keeps its decoded size: {@code size} is 0 and
 * {@code width} x {@code height} give the pixels' dimensions.
 *
 * <p>Not changed once emitted: Flink hands it from decode to embed without a copy ({@link
 * DecodedCropSerializer}).
 */
@TypeInfo(DecodedCropTypeInfo.Factory.class)
public class DecodedCrop {
    public CellMeta meta;
    public int size;
    public int width;
    public int height;
    public byte[] rgb;

    public DecodedCrop() {}

    public DecodedCrop(CellMeta meta, int size, byte[] rgb) {
        this.meta = meta;
        this.size = size;
        this.width = size;
        this.height = size;
        this.rgb = rgb;
    }

    /**
     * A crop at its decoded size, for an embedder that resizes in its graph. Its pixels are BGR,
     * HWC (the JPEG decoder's own layout, {@code AntialiasedResize.bgrBytes}): the graph reorders
     * the channels.
     */
    public static DecodedCrop raw(CellMeta meta, int width, int height, byte[] bgr) {
        DecodedCrop c = new DecodedCrop(meta, 0, bgr);
        c.width = width;
        c.height = height;
        return c;
    }
}
