package org.bloomstream.devkit.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What must never appear in a log line: a patient's identifiers (specimen, scan and cell ids of the
 * run, all of which contain its specimen ids) and image bytes, whether as base64 (the magic numbers
 * of JPEG, PNG, GIF, TIFF and BMP as base64 start them), as raw bytes decoded into text, as Avro's
 * or Java's escapes, as hex, or as a long base64 or byte-array run.
 */
final class LogLeaks {
    private static final List<Pattern> IMAGE_BYTES =
            List.of(
                    // base64 of the formats' magic numbers
                    Pattern.compile("/9j/"),
                    Pattern.compile("iVBORw0KGgo"),
                    Pattern.compile("R0lGOD"),
                    Pattern.compile("SUkqA"),
                    Pattern.compile("TU0AK"),
                    Pattern.compile("Qk[0-9A-Za-z+/]{20,}"),
                    // raw bytes decoded as Latin-1 or UTF-8
                    Pattern.compile("\u00ff\u00d8\u00ff"),
                    Pattern.compile("\u0089PNG"),
                    Pattern.compile("PNG\r\n\u001a"),
                    Pattern.compile("JFIF"),
                    Pattern.compile("\ufffd{4,}"),
                    // escapes and hex
                    Pattern.compile("(?i)\\\\u00ff\\\\u00d8"),
                    Pattern.compile("(?i)\\\\xff\\\\xd8"),
                    Pattern.compile("(?i)\\\\x89PNG"),
                    Pattern.compile("(?i)ffd8ff[0-9a-f]{2}"),
                    Pattern.compile("(?i)89504e47"),
                    // long runs: base64, hex, a byte[] printed by Arrays.toString
                    Pattern.compile("[A-Za-z0-9+/]{160,}={0,2}"),
                    Pattern.compile("(?i)[0-9a-f]{128,}"),
                    Pattern.compile("(-?\\d{1,3}, ){48,}"));

    private LogLeaks() {}

    /** Every line with an identifier matching {@code ids} or image bytes, with what matched. */
    static List<String> find(List<String> lines, Pattern ids) {
        List<String> leaks = new ArrayList<>();
        for (String line : lines) {
            Matcher m = ids.matcher(line);
            if (m.find()) {
                leaks.add("identifier " + m.group() + " in: " + abbreviate(line));
                continue;
            }
            for (Pattern p : IMAGE_BYTES) {
                Matcher b = p.matcher(line);
                if (b.find()) {
                    leaks.add("image bytes (" + p.pattern() + ") in: " + abbreviate(line));
                    break;
                }
            }
        }
        return leaks;
    }

    private static String abbreviate(String line) {
        return line.length() <= 300 ? line : line.substring(0, 300) + "...";
    }
}
