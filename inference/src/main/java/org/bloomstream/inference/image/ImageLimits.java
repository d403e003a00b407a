package org.bloomstream.inference.image;

import java.io.Serializable;

/**
 * What a crop may be. Checked from the image header before any pixel is decoded, so a decompression
 * bomb (a small file that claims 20000x20000 pixels) costs nothing.
 *
 * @param maxBytes largest encoded file accepted
 * @param maxPixels largest width*height accepted (a 1024x1024 crop is already far larger than a
 *     white cell at any common scan resolution)
 * @param minEdge smallest width or height accepted
 */
public record ImageLimits(int maxBytes, long maxPixels, int minEdge) implements Serializable {
    public static final ImageLimits DEFAULT = new ImageLimits(8 * 1024 * 1024, 4096L * 4096L, 8);

    public ImageLimits {
        if (maxBytes <= 0 || maxPixels <= 0 || minEdge <= 0) {
            throw new IllegalArgumentException("image limits must be positive");
        }
    }
}
