package org.bloomstream.schemas;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a log line or a service's console output may say about an id. Specimen, scan and cell ids
 * identify a patient's sample, and console output ends up in container logs, so progress lines name
 * an id by a short reference instead: {@code #} and the first 8 hex digits of its SHA-256. The same
 * id always gives the same reference, so an operator holding the id can find its lines. It is a
 * correlation handle, not a pseudonym: a short hash of a guessable id can be guessed.
 */
public final class LogIds {
    private LogIds() {}

    /** {@code #1a2b3c4d} for a non-null id, {@code #none} for null. */
    public static String ref(String id) {
        if (id == null) {
            return "#none";
        }
        try {
            byte[] d =
                    MessageDigest.getInstance("SHA-256")
                            .digest(id.getBytes(StandardCharsets.UTF_8));
            return "#" + HexFormat.of().formatHex(d, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
