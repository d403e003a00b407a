package org.bloomstream.inference.typing;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The head file: one JSON document, format {@value CellTypeHead#FORMAT}, with a {@code kind}.
 *
 * <pre>
 * {
 *   "format": "bloomstream-head/1", "kind": "knn" | "linear" | "nearest-centroid",
 *   "headId": "...", "embeddingModelId": "...", "dim": 384,
 *   "classes": ["neutrophil", ...],
 *   "unknown": {"minConfidence": 0.5, "minSimilarity": 0.31, "similarityQuantile": 0.01},
 *   "provenance": {"fittedBy": "...", ...},
 *   ... the kind's parameters ...
 * }
 * </pre>
 *
 * <ul>
 *   <li>{@code nearest-centroid}: {@code temperature}, {@code centroids} [C][D], {@code center}
 *       [D].
 *   <li>{@code linear}: {@code mean} and {@code scale} [D] (standardisation), {@code weights}
 *       [C][D], {@code bias} [C], and {@code center} [D] + {@code centroids} [C][D] for the
 *       out-of-distribution check.
 *   <li>{@code knn}: {@code k}, {@code metric} ({@code cosine}, the default when absent, or {@code
 *       euclidean}; see {@link KnnHead}), {@code labels} [N] (class indices), and {@code bank}:
 *       {@code {"rows": N, "encoding": "float32-le-base64", "data": "..."}}, the N reference
 *       embeddings (unit length for cosine, raw for Euclidean), row-major, base64 of little-endian
 *       float32. Binary because a 100k x 384 bank written as JSON numbers would be about 1 GB of
 *       text; base64 keeps it one self-contained file (205 MB for 100k x 384), streamed in and out
 *       without a second in-memory copy.
 * </ul>
 *
 * {@code unknown} and {@code provenance} are optional (files from the walking skeleton have
 * neither: every cell gets its type). Unknown fields are ignored, so later versions can add some; a
 * change that old readers would misread gets a new format string.
 */
public final class HeadFiles {
    static final String BANK_ENCODING = "float32-le-base64";
    private static final ObjectMapper JSON = new ObjectMapper();

    private HeadFiles() {}

    /** Reads any kind of head, naming the file in every error. */
    public static CellTypeHead read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("head file not found: " + file.toAbsolutePath());
        }
        ObjectNode header = JSON.createObjectNode();
        float[] bank = null;
        int bankRows = -1;
        try (InputStream in = Files.newInputStream(file);
                JsonParser p = JSON.getFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException(file + ": not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("bank") && p.currentToken() == JsonToken.START_OBJECT) {
                    int dim = header.path("dim").asInt(-1);
                    Bank b = readBank(p, dim, file);
                    bank = b.values();
                    bankRows = b.rows();
                } else {
                    header.set(name, p.readValueAsTree());
                }
            }
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException(file + ": not a valid head file: " + e.getOriginalMessage(), e);
        }
        String format = header.path("format").asText(null);
        String kind = header.path("kind").asText(null);
        if (!CellTypeHead.FORMAT.equals(format)) {
            throw new IOException(
                    file + ": format is " + format + ", expected " + CellTypeHead.FORMAT);
        }
        try {
            HeadInfo info = info(header, file);
            if (kind == null) {
                throw new IOException(file + ": no kind");
            }
            return switch (kind) {
                case CentroidHead.KIND -> centroid(header, info, file);
                case LinearHead.KIND -> linear(header, info, file);
                case KnnHead.KIND -> knn(header, info, bank, bankRows, file);
                default ->
                        throw new IOException(
                                file
                                        + ": unknown head kind '"
                                        + kind
                                        + "' (known: knn, linear, nearest-centroid)");
            };
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Writes any kind of head. */
    public static void write(CellTypeHead head, Path file) throws IOException {
        write(head, file, Map.of());
    }

    /**
     * Reads one extra top-level section of a head file (for example {@code driftProfile}) without
     * decoding the kNN bank; empty when the file has none (older files).
     */
    public static java.util.Optional<JsonNode> section(Path file, String name) throws IOException {
        try (InputStream in = Files.newInputStream(file);
                JsonParser p = JSON.getFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException(file + ": not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals(name)) {
                    return java.util.Optional.of(p.readValueAsTree());
                }
                p.skipChildren();
            }
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new IOException(file + ": not a valid head file: " + e.getOriginalMessage(), e);
        }
        return java.util.Optional.empty();
    }

    /**
     * Writes any kind of head with extra top-level sections that other packages own (the drift
     * profile). Readers that do not know a section ignore it, so the format string stays.
     */
    public static void write(CellTypeHead head, Path file, Map<String, JsonNode> sections)
            throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        ObjectNode h = JSON.createObjectNode();
        h.put("format", CellTypeHead.FORMAT);
        h.put("kind", head.kind());
        h.put("headId", head.headId());
        h.put("embeddingModelId", head.embeddingModelId());
        h.put("dim", head.dim());
        float[] bank = null;
        if (head instanceof CentroidHead c) {
            // The walking skeleton's field order, so its fixture file stays byte-identical.
            h.put("temperature", c.temperature());
            h.set("classes", JSON.valueToTree(c.classes()));
            h.set("centroids", JSON.valueToTree(c.centroids()));
            h.set("center", JSON.valueToTree(c.center()));
        } else if (head instanceof LinearHead l) {
            h.set("classes", JSON.valueToTree(l.classes()));
            h.set("mean", JSON.valueToTree(l.mean()));
            h.set("scale", JSON.valueToTree(l.scale()));
            h.set("weights", JSON.valueToTree(l.weights()));
            h.set("bias", JSON.valueToTree(l.bias()));
            h.set("center", JSON.valueToTree(l.center()));
            h.set("centroids", JSON.valueToTree(l.centroids()));
        } else if (head instanceof KnnHead k) {
            h.set("classes", JSON.valueToTree(k.classes()));
            h.put("k", k.k());
            h.put("metric", k.metric().label);
            h.set("labels", JSON.valueToTree(k.labels()));
            bank = k.bank();
        } else {
            throw new IllegalArgumentException("cannot write head kind " + head.kind());
        }
        UnknownPolicy u = head.unknownPolicy();
        if (!u.equals(UnknownPolicy.OFF)) {
            ObjectNode un = h.putObject("unknown");
            un.put("minConfidence", u.minConfidence());
            if (Double.isInfinite(u.minSimilarity())) {
                un.putNull("minSimilarity");
            } else {
                un.put("minSimilarity", u.minSimilarity());
            }
            if (Double.isNaN(u.similarityQuantile())) {
                un.putNull("similarityQuantile");
            } else {
                un.put("similarityQuantile", u.similarityQuantile());
            }
        }
        if (!head.provenance().isEmpty()) {
            h.set("provenance", JSON.valueToTree(head.provenance()));
        }
        sections.forEach(h::set);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp);
                JsonGenerator g = JSON.getFactory().createGenerator(os)) {
            g.setPrettyPrinter(new DefaultPrettyPrinter());
            g.writeStartObject();
            Iterator<Map.Entry<String, JsonNode>> fields = h.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                g.writeFieldName(f.getKey());
                JSON.writeTree(g, f.getValue());
            }
            if (bank != null) {
                int dim = head.dim();
                g.writeObjectFieldStart("bank");
                g.writeNumberField("rows", bank.length / dim);
                g.writeStringField("encoding", BANK_ENCODING);
                g.writeFieldName("data");
                ByteBuffer bytes =
                        ByteBuffer.allocate(bank.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                bytes.asFloatBuffer().put(bank);
                g.writeBinary(bytes.array());
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        Files.move(
                tmp,
                file,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private record Bank(int rows, float[] values) {}

    private static Bank readBank(JsonParser p, int dim, Path file) throws IOException {
        int rows = -1;
        String encoding = null;
        float[] values = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            switch (name) {
                case "rows" -> rows = p.getIntValue();
                case "encoding" -> encoding = p.getText();
                case "data" -> {
                    if (rows < 0 || dim < 1 || !BANK_ENCODING.equals(encoding)) {
                        throw new IOException(
                                file
                                        + ": bank needs dim (before it), rows and encoding "
                                        + BANK_ENCODING
                                        + " before its data");
                    }
                    long n = (long) rows * dim;
                    if (n > Integer.MAX_VALUE / 4) {
                        throw new IOException(file + ": bank of " + rows + " rows is too large");
                    }
                    FloatSink sink = new FloatSink((int) n);
                    p.readBinaryValue(sink);
                    if (!sink.full()) {
                        throw new IOException(
                                file
                                        + ": bank data holds "
                                        + sink.count
                                        + " bytes, expected "
                                        + n * 4
                                        + " ("
                                        + rows
                                        + " x "
                                        + dim
                                        + " float32)");
                    }
                    values = sink.values;
                }
                default -> p.skipChildren();
            }
        }
        if (values == null) {
            throw new IOException(file + ": bank has no data");
        }
        return new Bank(rows, values);
    }

    /** Decodes little-endian float32 bytes straight into a float array. */
    private static final class FloatSink extends OutputStream {
        final float[] values;
        long count;
        private int partial;
        private int partialBytes;

        FloatSink(int n) {
            values = new float[n];
        }

        @Override
        public void write(int b) throws IOException {
            if (count >= (long) values.length * 4) {
                throw new IOException("bank data is longer than rows x dim float32");
            }
            partial |= (b & 0xff) << (8 * partialBytes);
            partialBytes++;
            if (partialBytes == 4) {
                values[(int) (count / 4)] = Float.intBitsToFloat(partial);
                partial = 0;
                partialBytes = 0;
            }
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int i = 0; i < len; i++) {
                write(b[off + i]);
            }
        }

        boolean full() {
            return count == (long) values.length * 4;
        }
    }

    private static HeadInfo info(ObjectNode h, Path file) throws IOException {
        if (!h.path("classes").isArray()) {
            throw new IOException(file + ": no classes");
        }
        List<String> classes = new ArrayList<>();
        h.get("classes").forEach(c -> classes.add(c.asText()));
        UnknownPolicy policy = UnknownPolicy.OFF;
        JsonNode u = h.path("unknown");
        if (u.isObject()) {
            JsonNode s = u.path("minSimilarity");
            JsonNode q = u.path("similarityQuantile");
            policy =
                    new UnknownPolicy(
                            u.path("minConfidence").asDouble(0),
                            s.isNumber() ? s.asDouble() : Double.NEGATIVE_INFINITY,
                            q.isNumber() ? q.asDouble() : Double.NaN);
        }
        Map<String, String> provenance = new LinkedHashMap<>();
        h.path("provenance")
                .fields()
                .forEachRemaining(e -> provenance.put(e.getKey(), e.getValue().asText()));
        return new HeadInfo(
                h.path("headId").asText(""),
                h.path("embeddingModelId").asText(""),
                h.path("dim").asInt(0),
                classes,
                policy,
                provenance);
    }

    private static CellTypeHead centroid(ObjectNode h, HeadInfo info, Path file)
            throws IOException {
        float[][] centroids = matrix(h, "centroids", file);
        if (centroids.length != info.classes().size()) {
            throw new IOException(file + ": classes and centroids must match one to one");
        }
        checkWidth(centroids, info.dim(), "a centroid", file);
        float[] center = h.has("center") ? vector(h, "center", file) : new float[info.dim()];
        checkWidth(center, info.dim(), "center", file);
        return new CentroidHead(info, centroids, center, h.path("temperature").asDouble(0));
    }

    private static CellTypeHead linear(ObjectNode h, HeadInfo info, Path file) throws IOException {
        int c = info.classes().size();
        float[][] weights = matrix(h, "weights", file);
        float[][] centroids = matrix(h, "centroids", file);
        if (weights.length != c || centroids.length != c) {
            throw new IOException(file + ": classes, weights and centroids must match one to one");
        }
        checkWidth(weights, info.dim(), "a weight row", file);
        checkWidth(centroids, info.dim(), "a centroid", file);
        float[] bias = vector(h, "bias", file);
        checkWidth(bias, c, "bias", file);
        float[] mean = vector(h, "mean", file);
        float[] scale = vector(h, "scale", file);
        float[] center = vector(h, "center", file);
        checkWidth(mean, info.dim(), "mean", file);
        checkWidth(scale, info.dim(), "scale", file);
        checkWidth(center, info.dim(), "center", file);
        return new LinearHead(info, mean, scale, weights, bias, center, centroids);
    }

    private static CellTypeHead knn(ObjectNode h, HeadInfo info, float[] bank, int rows, Path file)
            throws IOException {
        if (bank == null) {
            throw new IOException(file + ": a knn head needs a bank");
        }
        JsonNode l = h.path("labels");
        if (!l.isArray() || l.size() != rows) {
            throw new IOException(
                    file + ": labels must list one class index per bank row (" + rows + ")");
        }
        int[] labels = new int[rows];
        for (int i = 0; i < rows; i++) {
            labels[i] = l.get(i).asInt(-1);
        }
        KnnHead.Metric metric;
        try {
            metric = KnnHead.Metric.parse(h.path("metric").asText("cosine"));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        return new KnnHead(info, h.path("k").asInt(0), metric, bank, labels);
    }

    private static float[][] matrix(ObjectNode h, String field, Path file) throws IOException {
        if (!h.path(field).isArray()) {
            throw new IOException(file + ": no " + field);
        }
        ArrayNode a = (ArrayNode) h.get(field);
        float[][] m = new float[a.size()][];
        for (int i = 0; i < m.length; i++) {
            m[i] = toFloats(a.get(i), field, file);
        }
        return m;
    }

    private static float[] vector(ObjectNode h, String field, Path file) throws IOException {
        if (!h.path(field).isArray()) {
            throw new IOException(file + ": no " + field);
        }
        return toFloats(h.get(field), field, file);
    }

    private static float[] toFloats(JsonNode a, String field, Path file) throws IOException {
        if (!a.isArray()) {
            throw new IOException(file + ": " + field + " must be an array of numbers");
        }
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) {
            if (!a.get(i).isNumber()) {
                throw new IOException(file + ": " + field + " holds a non-number");
            }
            v[i] = (float) a.get(i).asDouble();
        }
        return v;
    }

    private static void checkWidth(float[][] rows, int dim, String what, Path file)
            throws IOException {
        for (float[] r : rows) {
            checkWidth(r, dim, what, file);
        }
    }

    private static void checkWidth(float[] v, int dim, String what, Path file) throws IOException {
        if (v.length != dim) {
            throw new IOException(file + ": " + what + " is not " + dim + "-dimensional");
        }
    }
}
