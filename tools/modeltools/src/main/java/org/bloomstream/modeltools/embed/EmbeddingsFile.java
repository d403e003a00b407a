package org.bloomstream.modeltools.embed;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

/**
 * Embeddings on disk, readable from Python without bloomstream:
 *
 * <ul>
 *   <li>{@code <out>.npy}: a NumPy array, float32 little-endian, shape [N, D] ({@code numpy.load}).
 *   <li>{@code <out>.csv}: one row per embedding, in array order: {@code
 *       index,cell_id,path,label,group} (label and group empty when unknown).
 *   <li>{@code <out>.json}: {@code modelId}, {@code dim}, {@code count}, the source folder, and how
 *       many crops failed (listed in {@code <out>.errors.csv}).
 * </ul>
 *
 * The NPY header is written by hand: the format is a 10-byte preamble and a Python dict literal
 * (numpy.org/doc/stable/reference/generated/numpy.lib.format.html), not worth a dependency.
 */
public final class EmbeddingsFile {
    /** One row of the CSV. */
    public record Row(String cellId, String path, String label, String group) {}

    /** What a file holds. */
    public record Contents(String modelId, int dim, List<Row> rows, float[][] vectors) {}

    private EmbeddingsFile() {}

    public static Path npy(Path out) {
        return sibling(out, ".npy");
    }

    public static Path csv(Path out) {
        return sibling(out, ".csv");
    }

    public static Path json(Path out) {
        return sibling(out, ".json");
    }

    public static Path errors(Path out) {
        return sibling(out, ".errors.csv");
    }

    /** {@code out} with any of our extensions removed, plus {@code ext}. */
    static Path sibling(Path out, String ext) {
        String name = out.getFileName().toString();
        for (String known : List.of(".npy", ".csv", ".json")) {
            if (name.endsWith(known)) {
                name = name.substring(0, name.length() - known.length());
            }
        }
        return out.resolveSibling(name + ext);
    }

    public static void write(
            Path out,
            String modelId,
            int dim,
            List<Row> rows,
            List<float[]> vectors,
            Map<String, Object> extra)
            throws IOException {
        if (rows.size() != vectors.size()) {
            throw new IllegalArgumentException("one row per vector");
        }
        Path dir = out.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        writeNpy(npy(out), vectors, dim);
        try (CSVPrinter w =
                new CSVPrinter(
                        Files.newBufferedWriter(csv(out), StandardCharsets.UTF_8),
                        CSVFormat.DEFAULT
                                .builder()
                                .setHeader("index", "cell_id", "path", "label", "group")
                                .setRecordSeparator('\n')
                                .get())) {
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                w.printRecord(i, r.cellId(), r.path(), r.label(), r.group());
            }
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("format", "bloomstream-embeddings/1");
        meta.put("modelId", modelId);
        meta.put("dim", dim);
        meta.put("count", rows.size());
        meta.putAll(extra);
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(json(out).toFile(), meta);
    }

    static void writeNpy(Path file, List<float[]> vectors, int dim) throws IOException {
        String dict =
                "{'descr': '<f4', 'fortran_order': False, 'shape': ("
                        + vectors.size()
                        + ", "
                        + dim
                        + "), }";
        // Preamble (10 bytes) + dict + padding + '\n' must be a multiple of 64.
        int total = 10 + dict.length() + 1;
        int padded = (total + 63) / 64 * 64;
        StringBuilder header = new StringBuilder(dict);
        header.append(" ".repeat(padded - total)).append('\n');
        ByteBuffer pre = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        pre.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII));
        pre.put((byte) 1).put((byte) 0).putShort((short) header.length());
        try (OutputStream os = Files.newOutputStream(file)) {
            os.write(pre.array());
            os.write(header.toString().getBytes(StandardCharsets.US_ASCII));
            ByteBuffer row = ByteBuffer.allocate(dim * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float[] v : vectors) {
                if (v.length != dim) {
                    throw new IllegalArgumentException(
                            "vector of " + v.length + " dims, expected " + dim);
                }
                row.clear();
                row.asFloatBuffer().put(v);
                os.write(row.array());
            }
        }
    }

    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\((\\d+),\\s*(\\d+)\\)");

    /** Reads what {@link #write} wrote (and any float32 C-order [N, D] .npy). */
    public static float[][] readNpy(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file);
                DataInputStream data = new DataInputStream(in)) {
            byte[] pre = data.readNBytes(10);
            if (pre.length < 10
                    || (pre[0] & 0xff) != 0x93
                    || !new String(pre, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
                throw new IOException(file + " is not a .npy file");
            }
            int headerLen = (pre[8] & 0xff) | (pre[9] & 0xff) << 8;
            String header = new String(data.readNBytes(headerLen), StandardCharsets.US_ASCII);
            if (!header.contains("'<f4'") || header.contains("'fortran_order': True")) {
                throw new IOException(
                        file + ": expected float32 little-endian C-order, header " + header.trim());
            }
            Matcher m = SHAPE.matcher(header);
            if (!m.find()) {
                throw new IOException(file + ": expected a 2-d array, header " + header.trim());
            }
            int n = Integer.parseInt(m.group(1));
            int d = Integer.parseInt(m.group(2));
            byte[] body = data.readNBytes(n * d * 4);
            if (body.length != n * d * 4) {
                throw new IOException(file + " is truncated");
            }
            ByteBuffer buf = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
            float[][] out = new float[n][d];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    out[i][j] = buf.getFloat();
                }
            }
            return out;
        }
    }

    /** Reads the three files back. */
    public static Contents read(Path out) throws IOException {
        float[][] vectors = readNpy(npy(out));
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = new ObjectMapper().readValue(json(out).toFile(), Map.class);
        List<Row> rows = new ArrayList<>();
        try (CSVParser parser =
                CSVParser.parse(
                        csv(out),
                        StandardCharsets.UTF_8,
                        CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get())) {
            for (CSVRecord r : parser) {
                rows.add(
                        new Row(
                                emptyToNull(r.get("cell_id")),
                                emptyToNull(r.get("path")),
                                emptyToNull(r.get("label")),
                                emptyToNull(r.get("group"))));
            }
        }
        if (rows.size() != vectors.length) {
            throw new IOException(
                    csv(out) + " has " + rows.size() + " rows for " + vectors.length + " vectors");
        }
        return new Contents(
                (String) meta.get("modelId"), ((Number) meta.get("dim")).intValue(), rows, vectors);
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
