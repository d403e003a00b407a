package org.bloomstream.modeltools.batcheffects;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * The 2-D map as a PNG: two panels of the same PCA projection, the left coloured by data set, the
 * right coloured by (harmonised) label with one marker shape per data set. Plain Java2D, headless;
 * colours from the Okabe-Ito and Tableau palettes, readable by most colour-blind readers.
 */
public final class BatchMap {
    private static final Color[] PALETTE = {
        new Color(0x0072B2), new Color(0xE69F00), new Color(0x009E73), new Color(0xCC79A7),
        new Color(0xD55E00), new Color(0x56B4E9), new Color(0xF0E442), new Color(0x000000),
        new Color(0x8C564B), new Color(0x7F7F7F), new Color(0xBCBD22), new Color(0x17BECF),
        new Color(0x9467BD), new Color(0xFF9896)
    };
    private static final int PANEL = 720;
    private static final int LEGEND = 230;
    private static final int TOP = 70;
    private static final int MARGIN = 40;

    private BatchMap() {}

    /**
     * Writes the map.
     *
     * @param xy the cells' 2-D coordinates, in {@code cells} order
     * @param title the first line of the heading (what and which model)
     */
    public static void write(
            List<BatchEffects.Cell> cells, double[][] xy, String title, String note, Path png)
            throws IOException {
        List<String> sets = cells.stream().map(BatchEffects.Cell::dataset).distinct().toList();
        List<String> labels =
                cells.stream().map(BatchEffects.Cell::label).distinct().sorted().toList();
        int w = 2 * (PANEL + LEGEND) + MARGIN;
        int h = TOP + PANEL + MARGIN;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(
                RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
        g.drawString(title, MARGIN, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        g.drawString(note, MARGIN, 54);

        double minX = Double.POSITIVE_INFINITY, maxX = Double.NEGATIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
        for (double[] p : xy) {
            minX = Math.min(minX, p[0]);
            maxX = Math.max(maxX, p[0]);
            minY = Math.min(minY, p[1]);
            maxY = Math.max(maxY, p[1]);
        }
        double span = Math.max(maxX - minX, maxY - minY);
        double[] bounds = {minX, minY, span > 0 ? span : 1};

        for (int panel = 0; panel < 2; panel++) {
            int x0 = MARGIN + panel * (PANEL + LEGEND);
            boolean byLabel = panel == 1;
            g.setColor(new Color(0xF4F5F7));
            g.fillRect(x0, TOP, PANEL, PANEL);
            g.setColor(new Color(0xC8CDD3));
            g.drawRect(x0, TOP, PANEL, PANEL);
            g.setColor(Color.DARK_GRAY);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
            g.drawString(
                    byLabel ? "coloured by cell type (shape: data set)" : "coloured by data set",
                    x0 + 8,
                    TOP + 20);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString("PC1 \u2192", x0 + PANEL - 60, TOP + PANEL - 8);
            g.drawString("PC2 \u2191", x0 + 8, TOP + PANEL - 8);
            // draw in a fixed interleaved order so no data set hides another entirely
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < cells.size(); i++) {
                order.add(i);
            }
            java.util.Collections.shuffle(order, new java.util.Random(19));
            for (int i : order) {
                BatchEffects.Cell c = cells.get(i);
                double px = x0 + 20 + (xy[i][0] - bounds[0]) / bounds[2] * (PANEL - 40);
                double py = TOP + PANEL - 20 - (xy[i][1] - bounds[1]) / bounds[2] * (PANEL - 40);
                Color col =
                        byLabel
                                ? PALETTE[labels.indexOf(c.label()) % PALETTE.length]
                                : PALETTE[sets.indexOf(c.dataset()) % PALETTE.length];
                Shape s = marker(byLabel ? sets.indexOf(c.dataset()) : 0, px, py, 7);
                g.setColor(new Color(col.getRed(), col.getGreen(), col.getBlue(), 190));
                g.fill(s);
                g.setColor(col.darker());
                g.setStroke(new BasicStroke(0.7f));
                g.draw(s);
            }
            int ly = TOP + 10;
            int lx = x0 + PANEL + 14;
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            List<String> keys = byLabel ? labels : sets;
            for (int k = 0; k < keys.size(); k++) {
                ly += 22;
                Color col = PALETTE[k % PALETTE.length];
                g.setColor(col);
                g.fill(marker(0, lx + 6, ly - 5, 10));
                g.setColor(Color.BLACK);
                g.drawString(keys.get(k), lx + 18, ly);
            }
            if (byLabel) {
                ly += 34;
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
                g.drawString("data set", lx, ly);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
                for (int k = 0; k < sets.size(); k++) {
                    ly += 22;
                    g.setColor(Color.DARK_GRAY);
                    g.fill(marker(k, lx + 6, ly - 5, 10));
                    g.setColor(Color.BLACK);
                    g.drawString(sets.get(k), lx + 18, ly);
                }
            }
        }
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    /** Circle, square, triangle, diamond, then again. */
    private static Shape marker(int kind, double x, double y, double size) {
        double r = size / 2;
        switch (kind % 4) {
            case 1:
                return new Rectangle2D.Double(x - r * 0.9, y - r * 0.9, 1.8 * r, 1.8 * r);
            case 2:
                {
                    Path2D.Double p = new Path2D.Double();
                    p.moveTo(x, y - r * 1.15);
                    p.lineTo(x + r * 1.1, y + r * 0.85);
                    p.lineTo(x - r * 1.1, y + r * 0.85);
                    p.closePath();
                    return p;
                }
            case 3:
                {
                    Path2D.Double p = new Path2D.Double();
                    p.moveTo(x, y - r * 1.2);
                    p.lineTo(x + r * 1.2, y);
                    p.lineTo(x, y + r * 1.2);
                    p.lineTo(x - r * 1.2, y);
                    p.closePath();
                    return p;
                }
            default:
                return new Ellipse2D.Double(x - r, y - r, 2 * r, 2 * r);
        }
    }
}
