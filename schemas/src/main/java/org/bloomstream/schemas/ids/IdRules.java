package org.bloomstream.schemas.ids;

/**
 * The rules every specimen, scan, scanner and cell id obeys. One check, shared by every feed and by
 * the gate, so that an id is the same id whichever way it was sent.
 *
 * <ul>
 *   <li>Leading and trailing white space is not part of an id (it is trimmed); nothing else is
 *       changed: no case folding, no Unicode normalisation (ids are compared as sent).
 *   <li>Not empty after trimming ({@link Rule#MISSING}).
 *   <li>At most {@link #maxLength()} characters (Unicode code points; 256 by default), so that an
 *       id cannot become a 200 KB Kafka key or a megabyte of live-page JSON ({@link
 *       Rule#TOO_LONG}).
 *   <li>No control characters (NUL, CR, LF, ESC, DEL, C1 ...): they corrupt logs, CSV files and
 *       line-based journals ({@link Rule#CONTROL_CHARACTER}).
 *   <li>No bidirectional formatting characters (U+061C, U+200E/F, U+202A-E, U+2066-9): they make an
 *       id display as another id ({@link Rule#BIDI_CONTROL}).
 *   <li>Well-formed text: no unpaired surrogate, no U+FFFD (the mark a lenient decoder leaves where
 *       bytes were not valid UTF-8) ({@link Rule#MALFORMED}).
 * </ul>
 *
 * Reasons never quote the id: they end up in HTTP answers, logs and dead letters.
 *
 * @param maxLength the longest id, in characters (code points)
 */
public record IdRules(int maxLength) {
    public static final int DEFAULT_MAX_LENGTH = 256;
    public static final IdRules DEFAULT = new IdRules(DEFAULT_MAX_LENGTH);

    public IdRules {
        if (maxLength < 1) {
            throw new IllegalArgumentException("the id length limit must be at least 1");
        }
    }

    /** Which rule an id broke. */
    public enum Rule {
        MISSING,
        TOO_LONG,
        CONTROL_CHARACTER,
        BIDI_CONTROL,
        MALFORMED
    }

    /**
     * The outcome of a check: the trimmed id, or the rule it broke and why.
     *
     * @param value the trimmed id when it passed, else null
     * @param rule null when it passed
     * @param reason null when it passed; names the field, never quotes the id
     */
    public record Check(String value, Rule rule, String reason) {
        public boolean ok() {
            return rule == null;
        }
    }

    /** Checks one id; {@code field} names it in the reason ({@code specimenId}, ...). */
    public Check check(String field, String raw) {
        String v = trim(raw);
        if (v == null) {
            return broken(Rule.MISSING, field + " is missing");
        }
        int length = v.codePointCount(0, v.length());
        if (length > maxLength) {
            return broken(
                    Rule.TOO_LONG,
                    field + " is " + length + " characters long, the limit is " + maxLength);
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (Character.isISOControl(c)) {
                return broken(
                        Rule.CONTROL_CHARACTER,
                        field + " contains a control character (" + hex(c) + ") at " + i);
            }
            if (isBidiControl(c)) {
                return broken(
                        Rule.BIDI_CONTROL,
                        field + " contains a bidirectional control character (" + hex(c) + ")");
            }
            if (Character.isHighSurrogate(c)
                    && i + 1 < v.length()
                    && Character.isLowSurrogate(v.charAt(i + 1))) {
                i++;
                continue;
            }
            if (Character.isSurrogate(c) || c == '\uFFFD') {
                return broken(Rule.MALFORMED, field + " is not well-formed UTF-8 text");
            }
        }
        return new Check(v, null, null);
    }

    /** The id without leading and trailing white space; null when nothing is left. */
    public static String trim(String s) {
        if (s == null) {
            return null;
        }
        int start = 0;
        int end = s.length();
        while (start < end && isSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return start == end ? null : s.substring(start, end);
    }

    // Unicode spaces too: trim() alone kept U+3000, which a later isBlank() check rejected.
    private static boolean isSpace(char c) {
        return c == ' ' || Character.isWhitespace(c) || Character.isSpaceChar(c);
    }

    static boolean isBidiControl(char c) {
        return c == '\u061C'
                || c == '\u200E'
                || c == '\u200F'
                || (c >= '\u202A' && c <= '\u202E')
                || (c >= '\u2066' && c <= '\u2069');
    }

    private static String hex(char c) {
        return String.format("U+%04X", (int) c);
    }

    private static Check broken(Rule rule, String reason) {
        return new Check(null, rule, reason);
    }
}
