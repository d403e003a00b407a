package org.bloomstream.inference.image;

/**
 * What becomes of a crop's alpha channel (RGBA, gray with alpha, a palette with transparency) on
 * the way to the model's RGB input.
 *
 * <p>The default is {@link #DROP} because it is what the reference does: DinoBloom's preprocessing
 * is Pillow's {@code Image.open(path).convert("RGB")}, which discards alpha and keeps the colour
 * stored under it, even under fully transparent pixels. Embeddings computed any other way are not
 * the model's published behaviour (on the TCIA AML crop with transparent rows, compositing moved
 * the fixture ViT's embedding by 0.51). {@link #WHITE} is for a lab whose exporter writes
 * meaningless colour under transparent areas and that wants them shown as empty slide background;
 * its embeddings are then its own, and the embed manifest says which policy made them.
 */
public enum AlphaPolicy {
    /** Pillow's {@code convert("RGB")}: alpha is discarded, the stored colour is kept. */
    DROP,
    /**
     * Alpha composited on white: {@code c * a / 255 + 255 * (1 - a / 255)}, rounded, per channel
     * (unassociated alpha).
     */
    WHITE;

    /** The policy named on a command line or in configuration ({@code drop} or {@code white}). */
    public static AlphaPolicy parse(String name) {
        for (AlphaPolicy p : values()) {
            if (p.name().equalsIgnoreCase(name.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("alpha policy must be drop or white, not " + name);
    }
}
