package org.bloomstream.ingest.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.bloomstream.schemas.ids.IdRules;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.http.MultiPartFormData;

/**
 * The metadata of one request, from its headers or its multipart form fields, read the same way for
 * both: text is UTF-8 (HTTP/1.1 hands header bytes over as ISO-8859-1; they are decoded again as
 * UTF-8, so {@code SPEC-患者} is the same specimen whichever way it was sent); a header or field
 * given twice is a 400 (no silent "first wins"); a header and a form field that disagree is a 400;
 * ids then pass {@link IdRules}, the same rules the watch folder, replay and the gate apply.
 */
final class RequestIds {
    /** One piece of metadata: its header name and its form field name. */
    enum Item {
        SPECIMEN("X-Specimen-Id", "specimenId", true),
        SCAN("X-Scan-Id", "scanId", true),
        CELL("X-Cell-Id", "cellId", true),
        SCANNER("X-Scanner-Id", "scannerId", true),
        REFERENCE_LABEL("X-Reference-Label", "referenceLabel", true),
        CAPTURE_TIME("X-Capture-Time", "captureTime", false),
        MICRONS_PER_PIXEL("X-Microns-Per-Pixel", "micronsPerPixel", false),
        EXPECTED_CELLS("X-Expected-Cells", "expectedCells", false);

        final String header;
        final String field;

        /** Whether the id rules apply (ids and the label; not numbers and times). */
        final boolean id;

        Item(String header, String field, boolean id) {
            this.header = header;
            this.field = field;
            this.id = id;
        }
    }

    private final HttpFields headers;
    private final MultiPartFormData.Parts form;
    private final IdRules rules;

    private RequestIds(HttpFields headers, MultiPartFormData.Parts form, IdRules rules) {
        this.headers = headers;
        this.form = form;
        this.rules = rules;
    }

    static RequestIds headers(HttpFields headers, IdRules rules) {
        return new RequestIds(headers, null, rules);
    }

    static RequestIds form(HttpFields headers, MultiPartFormData.Parts form, IdRules rules) {
        return new RequestIds(headers, form, rules);
    }

    /** The required id, checked; a 400 when missing or against the rules. */
    String required(Item item) throws Refusal {
        String v = optional(item);
        if (v == null) {
            throw new Refusal(
                    400,
                    item.header + " is required (form field " + item.field + "): it is missing");
        }
        return v;
    }

    /** The trimmed value, checked when it is an id; null when absent or blank. */
    String optional(Item item) throws Refusal {
        String h = header(item);
        String f = field(item);
        if (h != null && f != null && !h.equals(f)) {
            throw new Refusal(
                    400,
                    "header "
                            + item.header
                            + " and form field "
                            + item.field
                            + " disagree; give one of them");
        }
        String v = IdRules.trim(f != null ? f : h);
        if (v == null) {
            return null;
        }
        if (item.id) {
            IdRules.Check c = rules.check(item.field, v);
            if (!c.ok()) {
                throw new Refusal(400, c.reason());
            }
        }
        return v;
    }

    private String header(Item item) throws Refusal {
        List<String> values = headers.getValuesList(item.header);
        if (values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw new Refusal(
                    400, "header " + item.header + " is given " + values.size() + " times");
        }
        return utf8(item.header, values.get(0));
    }

    private String field(Item item) throws Refusal {
        if (form == null) {
            return null;
        }
        List<MultiPart.Part> parts =
                form.getAll(item.field).stream().filter(p -> p.getFileName() == null).toList();
        if (parts.isEmpty()) {
            return null;
        }
        if (parts.size() > 1) {
            throw new Refusal(
                    400, "form field " + item.field + " is given " + parts.size() + " times");
        }
        return decodeStrict(item.field, bytes(parts.get(0)));
    }

    /**
     * A header value as UTF-8. Jetty passes header bytes through as ISO-8859-1 characters (one char
     * per byte), so their bytes are recovered and decoded strictly; a value that is not UTF-8 is a
     * 400 rather than an id in some other encoding.
     */
    static String utf8(String name, String latin1) throws Refusal {
        boolean high = false;
        for (int i = 0; i < latin1.length(); i++) {
            char c = latin1.charAt(i);
            if (c > 0xFF) {
                return latin1; // decoded as UTF-8 already
            }
            high |= c >= 0x80;
        }
        return high ? decodeStrict(name, latin1.getBytes(StandardCharsets.ISO_8859_1)) : latin1;
    }

    private static String decodeStrict(String name, byte[] bytes) throws Refusal {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new Refusal(400, name + " is not valid UTF-8");
        }
    }

    /** The raw bytes of a field (ISO-8859-1 maps each byte to one char and back). */
    private static byte[] bytes(MultiPart.Part p) {
        String s = p.getContentAsString(StandardCharsets.ISO_8859_1);
        return s == null ? new byte[0] : s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
