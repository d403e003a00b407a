package org.bloomstream.modeltools.heads;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.bloomstream.inference.vocabulary.Vocabulary;
import org.bloomstream.modeltools.dataset.HeaderedCsv;
import org.bloomstream.modeltools.embed.EmbeddingsFile;

/**
 * Embeddings with a label for each (and a group where known): what heads are fitted and evaluated
 * on. Rows without a label are left out and counted.
 *
 * @param modelId the embedding model
 * @param ids cell ids (the crop's path within its folder for {@code bloomstream embed})
 * @param labels one class per row
 * @param groups the patient or smear of each row, null where unknown
 * @param classes the class vocabulary, in order
 * @param skipped rows of the embeddings file left out, and why
 */
public record LabelledEmbeddings(
        String modelId,
        int dim,
        List<String> ids,
        List<String> labels,
        List<String> groups,
        float[][] rows,
        List<String> classes,
        Map<String, Integer> skipped) {

    public int size() {
        return rows.length;
    }

    /** Whether every row has a group. */
    public boolean grouped() {
        return groups.stream().allMatch(g -> g != null && !g.isBlank());
    }

    /**
     * Reads {@code bloomstream embed} output ({@code X.npy}, {@code X.csv}, {@code X.json}) and
     * takes labels from {@code labelsCsv} when given, else from {@code X.csv}.
     *
     * <p>The labels CSV has a header with a {@code label} column and a key column, {@code cell_id}
     * or {@code path}, matched against the embeddings' {@code cell_id} or {@code path}; a {@code
     * group} column, if present, overrides the groups. Other columns are ignored.
     */
    public static LabelledEmbeddings load(Path embeddings, Path labelsCsv) throws IOException {
        EmbeddingsFile.Contents c = EmbeddingsFile.read(embeddings);
        List<EmbeddingsFile.Row> rows = c.rows();
        List<String> labels = new ArrayList<>();
        List<String> groups = new ArrayList<>();
        for (EmbeddingsFile.Row r : rows) {
            labels.add(r.label());
            groups.add(r.group());
        }
        Map<String, Integer> skipped = new java.util.LinkedHashMap<>();
        if (labelsCsv != null) {
            readLabels(labelsCsv, rows, labels, groups);
        }
        List<String> ids = new ArrayList<>();
        List<String> keptLabels = new ArrayList<>();
        List<String> keptGroups = new ArrayList<>();
        List<float[]> kept = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            if (labels.get(i) == null || labels.get(i).isBlank()) {
                skipped.merge("no label", 1, Integer::sum);
                continue;
            }
            ids.add(rows.get(i).cellId());
            keptLabels.add(labels.get(i).trim());
            keptGroups.add(groups.get(i));
            kept.add(c.vectors()[i]);
        }
        if (kept.isEmpty()) {
            throw new IOException(
                    "no labelled embeddings in "
                            + EmbeddingsFile.csv(embeddings)
                            + (labelsCsv != null ? " matched by " + labelsCsv : "")
                            + "; give --labels with cell_id,label or path,label");
        }
        return new LabelledEmbeddings(
                c.modelId(),
                c.dim(),
                ids,
                keptLabels,
                keptGroups,
                kept.toArray(new float[0][]),
                new ArrayList<>(new java.util.TreeSet<>(keptLabels)),
                skipped);
    }

    private static void readLabels(
            Path csv, List<EmbeddingsFile.Row> rows, List<String> labels, List<String> groups)
            throws IOException {
        try (CSVParser p = HeaderedCsv.parse(csv)) {
            List<String> header = p.getHeaderNames();
            String key =
                    header.contains("cell_id")
                            ? "cell_id"
                            : header.contains("path") ? "path" : null;
            if (key == null || !header.contains("label")) {
                throw new IOException(
                        csv
                                + ": the header needs a label column and cell_id or path, has "
                                + header);
            }
            boolean hasGroup = header.contains("group");
            Map<String, Integer> index = new HashMap<>();
            for (int i = 0; i < rows.size(); i++) {
                EmbeddingsFile.Row r = rows.get(i);
                String k = key.equals("cell_id") ? r.cellId() : r.path();
                if (k != null) {
                    index.put(k, i);
                }
            }
            // Labels from the CSV replace those of the embeddings file entirely.
            java.util.Collections.fill(labels, null);
            int matched = 0;
            for (CSVRecord rec : p) {
                Integer i = index.get(rec.get(key));
                if (i == null) {
                    continue;
                }
                labels.set(i, rec.get("label"));
                if (hasGroup && !rec.get("group").isBlank()) {
                    groups.set(i, rec.get("group"));
                }
                matched++;
            }
            if (matched == 0) {
                throw new IOException(
                        csv + ": no " + key + " matches a row of the embeddings file");
            }
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new IOException(csv + ": " + e.getMessage(), e);
        }
    }

    /**
     * Labels put into {@code vocabulary}'s codes (matching codes, names and aliases), and, with
     * {@code mapTo}, mapped on into that vocabulary; rows whose class has no counterpart there are
     * left out and counted. The classes become the (target) vocabulary's, in its order.
     */
    public LabelledEmbeddings inVocabulary(Vocabulary vocabulary, Vocabulary mapTo) {
        List<String> newIds = new ArrayList<>();
        List<String> newLabels = new ArrayList<>();
        List<String> newGroups = new ArrayList<>();
        List<float[]> newRows = new ArrayList<>();
        Map<String, Integer> skip = new java.util.LinkedHashMap<>(skipped);
        for (int i = 0; i < rows.length; i++) {
            String code = vocabulary.canonical(labels.get(i));
            if (mapTo != null) {
                var to = vocabulary.map(code, mapTo.id());
                if (to.isEmpty()) {
                    skip.merge(code + " (no " + mapTo.id() + " class)", 1, Integer::sum);
                    continue;
                }
                code = to.get();
            }
            newIds.add(ids.get(i));
            newLabels.add(code);
            newGroups.add(groups.get(i));
            newRows.add(rows[i]);
        }
        Vocabulary target = mapTo != null ? mapTo : vocabulary;
        return new LabelledEmbeddings(
                modelId,
                dim,
                newIds,
                newLabels,
                newGroups,
                newRows.toArray(new float[0][]),
                target.codes(),
                skip);
    }
}
