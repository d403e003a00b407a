package org.bloomstream.modeltools.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * Writes an {@link Evaluation.Result}: a text report (also printed), {@code metrics.json}, {@code
 * predictions.csv} (every held-out prediction, for auditing), {@code confusion.png} (one heat map
 * per fitted head) and {@code report.html} (the same tables, viewable without the PNG).
 */
public final class Report {
    private Report() {}

    /** The files written. */
    public record Files(Path text, Path json, Path predictions, Path png, Path html) {}

    public static Files write(Evaluation.Result r, String title, Path dir, PrintStream out)
            throws IOException {
        java.nio.file.Files.createDirectories(dir);
        String text = text(r, title);
        out.print(text);
        Path txt = dir.resolve("report.txt");
        java.nio.file.Files.writeString(txt, text, StandardCharsets.UTF_8);
        Path json = dir.resolve("metrics.json");
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(json.toFile(), json(r, title));
        Path csv = dir.resolve("predictions.csv");
        try (CSVPrinter p =
                new CSVPrinter(
                        java.nio.file.Files.newBufferedWriter(csv, StandardCharsets.UTF_8),
                        CSVFormat.DEFAULT
                                .builder()
                                .setHeader(
                                        "cell_id",
                                        "label",
                                        "group",
                                        "fold",
                                        "head",
                                        "predicted",
                                        "confidence",
                                        "unknown_reason")
                                .setRecordSeparator('\n')
                                .get())) {
            for (Evaluation.Row row : r.rows()) {
                p.printRecord(
                        row.cellId(),
                        row.label(),
                        row.group(),
                        row.fold(),
                        row.head(),
                        row.predicted(),
                        String.format(Locale.ROOT, "%.4f", row.confidence()),
                        row.unknownReason());
            }
        }
        Path png = dir.resolve("confusion.png");
        try {
            ImageIO.write(image(r, title), "png", png.toFile());
        } catch (RuntimeException | Error e) {
            // Font rendering needs fonts on the host; the HTML report carries the same tables.
            out.println("could not draw " + png + " (" + e + "); see report.html");
            png = null;
        }
        Path html = dir.resolve("report.html");
        java.nio.file.Files.writeString(html, html(r, title, png != null), StandardCharsets.UTF_8);
        return new Files(txt, json, csv, png, html);
    }

    static String pm(double[] v) {
        return String.format(Locale.ROOT, "%.3f ± %.3f", Evaluation.mean(v), Evaluation.std(v));
    }

    /** The text report. */
    public static String text(Evaluation.Result r, String title) {
        StringBuilder b = new StringBuilder();
        b.append(
                String.format(
                        Locale.ROOT,
                        "Cell-typing evaluation: %s, %d cells, %d classes; embeddings %s (%d dims)%n",
                        title,
                        r.cells(),
                        r.classes().size(),
                        r.modelId(),
                        r.dim()));
        b.append(protocolLine(r));
        for (String w : r.warnings()) {
            b.append("note: ").append(w).append('\n');
        }
        b.append('\n');
        b.append(
                String.format(
                        Locale.ROOT,
                        "%-10s %-15s %-17s %-15s %s%n",
                        "head",
                        "accuracy",
                        "balanced acc.",
                        "weighted F1",
                        "unknown"));
        for (Evaluation.HeadResult h : r.heads()) {
            b.append(
                    String.format(
                            Locale.ROOT,
                            "%-10s %-15s %-17s %-15s %s%n",
                            h.name(),
                            pm(h.accuracy()),
                            pm(h.balancedAccuracy()),
                            pm(h.weightedF1()),
                            h.name().equals(Evaluation.MAJORITY) || !grouped(r)
                                    ? "-"
                                    : String.format(
                                            Locale.ROOT,
                                            "%.1f%%",
                                            100.0 * h.unknown() / h.pooled().total())));
        }
        b.append("\nper-class recall, pooled over folds\n");
        b.append(String.format(Locale.ROOT, "%-22s %6s", "class", "cells"));
        for (Evaluation.HeadResult h : r.heads()) {
            b.append(String.format(Locale.ROOT, " %9s", h.name()));
        }
        b.append('\n');
        for (int c = 0; c < r.classes().size(); c++) {
            Confusion any = r.heads().get(0).pooled();
            if (any.support(c) == 0) {
                continue;
            }
            b.append(String.format(Locale.ROOT, "%-22s %6d", r.classes().get(c), any.support(c)));
            for (Evaluation.HeadResult h : r.heads()) {
                b.append(String.format(Locale.ROOT, " %9.3f", h.pooled().recall(c)));
            }
            b.append('\n');
        }
        List<String> abbrev = abbreviations(r.classes());
        for (Evaluation.HeadResult h : r.heads()) {
            if (h.name().equals(Evaluation.MAJORITY)) {
                continue;
            }
            b.append(
                    String.format(
                            Locale.ROOT,
                            "%nconfusion matrix, %s (rows: true class, columns: predicted;"
                                    + " pooled over folds)%n",
                            h.name()));
            b.append(String.format(Locale.ROOT, "%-22s", ""));
            for (String a : abbrev) {
                b.append(String.format(Locale.ROOT, " %6s", a));
            }
            b.append('\n');
            for (int t = 0; t < r.classes().size(); t++) {
                b.append(String.format(Locale.ROOT, "%-22s", r.classes().get(t)));
                for (int p = 0; p < r.classes().size(); p++) {
                    b.append(String.format(Locale.ROOT, " %6d", h.pooled().count(t, p)));
                }
                b.append('\n');
            }
        }
        return b.toString();
    }

    private static boolean grouped(Evaluation.Result r) {
        return r.protocol().equals("grouped");
    }

    /** What the folds and heads were. */
    static String protocolLine(Evaluation.Result r) {
        if (r.protocol().equals("dinobloom")) {
            return String.format(
                    Locale.ROOT,
                    "protocol dinobloom (the DinoBloom paper's): StratifiedKFold(%d), not shuffled"
                            + " or grouped;%nEuclidean kNN and L-BFGS logistic regression on raw"
                            + " embeddings; metrics are mean ± sd over folds%n",
                    r.folds());
        }
        if (r.protocol().equals("dinobloom-fixed-split")) {
            return String.format(
                    Locale.ROOT,
                    "protocol dinobloom, fixed train/test split: Euclidean kNN and L-BFGS"
                            + " logistic regression%non raw embeddings; metrics of the one test"
                            + " set%n");
        }
        return String.format(
                Locale.ROOT,
                "protocol grouped (bloomstream's own): %d-fold stratified%s;%ncosine kNN and"
                        + " the Tribuo probe; metrics are mean ± sd over folds%n",
                r.folds(),
                r.grouped()
                        ? ", grouped (" + r.groups() + " groups, none split across folds)"
                        : ", ungrouped (the labels carry no group)");
    }

    /** Short, distinct column labels: the first letters of each class, as few as stay unique. */
    static List<String> abbreviations(List<String> classes) {
        for (int len = 3; len <= 6; len++) {
            List<String> out = new ArrayList<>();
            for (String c : classes) {
                out.add(c.length() <= len ? c : c.substring(0, len));
            }
            if (out.stream().distinct().count() == out.size()) {
                return out;
            }
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < classes.size(); i++) {
            out.add("c" + i);
        }
        return out;
    }

    static Map<String, Object> json(Evaluation.Result r, String title) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dataset", title);
        m.put("modelId", r.modelId());
        m.put("dim", r.dim());
        m.put("cells", r.cells());
        m.put("classes", r.classes());
        m.put("protocol", r.protocol());
        m.put("folds", r.folds());
        m.put("grouped", r.grouped());
        m.put("groups", r.groups());
        m.put("notes", r.warnings());
        Map<String, Object> heads = new LinkedHashMap<>();
        for (Evaluation.HeadResult h : r.heads()) {
            Map<String, Object> hm = new LinkedHashMap<>();
            hm.put("accuracy", stat(h.accuracy()));
            hm.put("balancedAccuracy", stat(h.balancedAccuracy()));
            hm.put("weightedF1", stat(h.weightedF1()));
            hm.put("unknownShare", h.unknown() / (double) h.pooled().total());
            Map<String, Object> recall = new LinkedHashMap<>();
            for (int c = 0; c < r.classes().size(); c++) {
                if (h.pooled().support(c) > 0) {
                    recall.put(r.classes().get(c), h.pooled().recall(c));
                }
            }
            hm.put("recall", recall);
            long[][] cm = new long[r.classes().size()][r.classes().size()];
            for (int t = 0; t < cm.length; t++) {
                for (int p = 0; p < cm.length; p++) {
                    cm[t][p] = h.pooled().count(t, p);
                }
            }
            hm.put("confusion", cm);
            hm.put("seconds", h.seconds());
            heads.put(h.name(), hm);
        }
        m.put("heads", heads);
        return m;
    }

    private static Map<String, Object> stat(double[] v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mean", Evaluation.mean(v));
        m.put("std", Evaluation.std(v));
        m.put("folds", v);
        return m;
    }

    private static List<Evaluation.HeadResult> fitted(Evaluation.Result r) {
        return r.heads().stream().filter(h -> !h.name().equals(Evaluation.MAJORITY)).toList();
    }

    /** One heat map per fitted head: colour is the row share (recall), text the count. */
    static BufferedImage image(Evaluation.Result r, String title) {
        List<Evaluation.HeadResult> heads = fitted(r);
        int c = r.classes().size();
        int cell = 44;
        int left = 170;
        int top = 110;
        int panel = left + c * cell + 30;
        int width = Math.max(600, panel * heads.size());
        int height = top + c * cell + 60;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(
                RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(
                String.format(
                        Locale.ROOT,
                        "%s: %d cells, %s (%d dims), %d-fold%s",
                        title,
                        r.cells(),
                        r.modelId(),
                        r.dim(),
                        r.folds(),
                        r.grouped() ? " grouped" : ""),
                10,
                22);
        List<String> abbrev = abbreviations(r.classes());
        for (int hI = 0; hI < heads.size(); hI++) {
            Evaluation.HeadResult h = heads.get(hI);
            int x0 = hI * panel;
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
            g.drawString(
                    String.format(
                            Locale.ROOT,
                            "%s  acc %.3f  bal %.3f  wF1 %.3f",
                            h.name(),
                            Evaluation.mean(h.accuracy()),
                            Evaluation.mean(h.balancedAccuracy()),
                            Evaluation.mean(h.weightedF1())),
                    x0 + 10,
                    50);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            g.drawString("rows: true, columns: predicted", x0 + 10, 68);
            for (int p = 0; p < c; p++) {
                g.drawString(abbrev.get(p), x0 + left + p * cell + 4, top - 8);
            }
            for (int t = 0; t < c; t++) {
                int y = top + t * cell;
                g.setColor(Color.BLACK);
                g.drawString(r.classes().get(t), x0 + 10, y + cell / 2 + 4);
                long support = h.pooled().support(t);
                for (int p = 0; p < c; p++) {
                    long n = h.pooled().count(t, p);
                    double share = support > 0 ? n / (double) support : 0;
                    int shade = (int) Math.round(255 * (1 - share));
                    g.setColor(new Color(shade, shade, 255));
                    int x = x0 + left + p * cell;
                    g.fillRect(x, y, cell, cell);
                    g.setColor(Color.LIGHT_GRAY);
                    g.drawRect(x, y, cell, cell);
                    g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
                    String s = Long.toString(n);
                    FontMetrics fm = g.getFontMetrics();
                    g.drawString(s, x + (cell - fm.stringWidth(s)) / 2, y + cell / 2 + 4);
                }
            }
        }
        g.dispose();
        return img;
    }

    static String html(Evaluation.Result r, String title, boolean withPng) {
        StringBuilder b = new StringBuilder();
        b.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>")
                .append(esc(title))
                .append(" evaluation</title><style>")
                .append("body{font-family:sans-serif}table{border-collapse:collapse;margin:8px 0}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}")
                .append("th:first-child,td:first-child{text-align:left}</style></head><body>");
        b.append("<pre>").append(esc(text(r, title))).append("</pre>");
        for (Evaluation.HeadResult h : fitted(r)) {
            b.append("<h3>")
                    .append(esc(h.name()))
                    .append("</h3><table><tr><th>true \\ predicted</th>");
            for (String c : r.classes()) {
                b.append("<th>").append(esc(c)).append("</th>");
            }
            b.append("</tr>");
            for (int t = 0; t < r.classes().size(); t++) {
                long support = h.pooled().support(t);
                b.append("<tr><td>").append(esc(r.classes().get(t))).append("</td>");
                for (int p = 0; p < r.classes().size(); p++) {
                    long n = h.pooled().count(t, p);
                    int shade =
                            (int) Math.round(255 * (1 - (support > 0 ? n / (double) support : 0)));
                    b.append(
                            String.format(
                                    Locale.ROOT,
                                    "<td style=\"background:rgb(%d,%d,255);color:%s\">%d</td>",
                                    shade,
                                    shade,
                                    shade < 128 ? "white" : "black",
                                    n));
                }
                b.append("</tr>");
            }
            b.append("</table>");
        }
        if (withPng) {
            b.append("<img src=\"confusion.png\" alt=\"confusion matrices\">");
        }
        return b.append("</body></html>\n").toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
