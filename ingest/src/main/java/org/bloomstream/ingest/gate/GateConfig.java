package org.bloomstream.ingest.gate;

import java.time.Duration;
import java.util.Objects;
import org.bloomstream.schemas.ids.IdRules;

/**
 * What the ingest gate accepts.
 *
 * @param maxImageBytes largest encoded crop; keep it below the broker's {@code max.message.bytes}
 * @param maxPixels largest width*height an image header may claim (decompression bombs)
 * @param minEdge smallest width or height
 * @param dedupeWindow how long a cell id is remembered: a second record with the same cell id
 *     within this time (of record timestamps) is a {@code DUPLICATE_CELL} dead letter. It must
 *     cover the longest time a feed may take to resend after a crash (a restarted watch folder
 *     resends what it had not yet recorded as done); the state it costs is about 100 bytes per
 *     cell.
 * @param idRules the id rules the gate enforces on records that bypass the feeds (the feeds check
 *     the same rules first); an id that breaks them is an {@code INVALID_ID} dead letter
 */
public record GateConfig(
        int maxImageBytes, long maxPixels, int minEdge, Duration dedupeWindow, IdRules idRules) {
    /** A day: longer than any scan, and than any sensible restart of a feed adapter. */
    public static final Duration DEFAULT_DEDUPE_WINDOW = Duration.ofHours(24);

    public static final GateConfig DEFAULT =
            new GateConfig(
                    8 * 1024 * 1024, 4096L * 4096L, 8, DEFAULT_DEDUPE_WINDOW, IdRules.DEFAULT);

    public GateConfig {
        if (maxImageBytes <= 0 || maxPixels <= 0 || minEdge <= 0) {
            throw new IllegalArgumentException("gate limits must be positive");
        }
        Objects.requireNonNull(dedupeWindow, "dedupeWindow");
        if (dedupeWindow.isNegative() || dedupeWindow.isZero()) {
            throw new IllegalArgumentException("the dedupe window must be positive");
        }
        Objects.requireNonNull(idRules, "idRules");
    }

    /** Limits and window with the default id rules. */
    public GateConfig(int maxImageBytes, long maxPixels, int minEdge, Duration dedupeWindow) {
        this(maxImageBytes, maxPixels, minEdge, dedupeWindow, IdRules.DEFAULT);
    }

    /** Limits with the default dedupe window. */
    public GateConfig(int maxImageBytes, long maxPixels, int minEdge) {
        this(maxImageBytes, maxPixels, minEdge, DEFAULT_DEDUPE_WINDOW);
    }

    public GateConfig withDedupeWindow(Duration window) {
        return new GateConfig(maxImageBytes, maxPixels, minEdge, window, idRules);
    }

    public GateConfig withIdRules(IdRules rules) {
        return new GateConfig(maxImageBytes, maxPixels, minEdge, dedupeWindow, rules);
    }
}
