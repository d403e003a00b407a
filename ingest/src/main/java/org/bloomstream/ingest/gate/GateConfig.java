package org.bloomstream.ingest.gate;

/**
 * What the ingest gate accepts.
 *
 * @param maxImageBytes largest encoded crop; keep it below the broker's {@code max.message.bytes}
 * @param maxPixels largest width*height an image header may claim (decompression bombs)
 * @param minEdge smallest width or height
 */
public record GateConfig(int maxImageBytes, long maxPixels, int minEdge) {
    public static final GateConfig DEFAULT = new GateConfig(8 * 1024 * 1024, 4096L * 4096L, 8);

    public GateConfig {
        if (maxImageBytes <= 0 || maxPixels <= 0 || minEdge <= 0) {
            throw new IllegalArgumentException("gate limits must be positive");
        }
    }
}
