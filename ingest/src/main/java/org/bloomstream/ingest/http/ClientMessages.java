package org.bloomstream.ingest.http;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;

/**
 * What an error answer may say. Exception messages of the libraries often start with a Java class
 * name ({@code org.apache.kafka.common.errors.TimeoutException: ...}); a client needs the reason,
 * not our internals, so class names are cut out and an exception without a message becomes a
 * generic phrase.
 */
final class ClientMessages {
    private static final Pattern CLASS_NAME =
            Pattern.compile("\\b(?:[a-z_][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?::\\s*)?");

    private ClientMessages() {}

    /** The message of {@code t}'s cause (past CompletableFuture wrappers), without class names. */
    static String of(Throwable t, String fallback) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        return clean(c.getMessage(), fallback);
    }

    /** {@code message} without Java class names; {@code fallback} if nothing is left. */
    static String clean(String message, String fallback) {
        if (message == null) {
            return fallback;
        }
        String m = CLASS_NAME.matcher(message).replaceAll("").trim();
        return m.isEmpty() ? fallback : m;
    }
}
