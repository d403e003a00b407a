package org.bloomstream.devkit.synthetic;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A square RGB raster addressed in micrometres, with the few compositing operations the cell
 * renderer needs.
 *
 * <p>Large, complex outlines (cell bodies, nuclei) are rasterised by Java2D into coverage masks;
 * the many small things (granules, chromatin, red cells, rods) are splatted straight into the pixel
 * array, which is about a hundred times faster than a Java2D fill per dot. World coordinates are
 * micrometres with the origin at the centre of the crop, x to the right and y down.
 */
final class CellCanvas {

    private final int size;
    private final double scale;
    private final double origin;
    private final BufferedImage image;
    private final int[] rgb;
    private BufferedImage scratch;

    CellCanvas(int size, double pxPerUm) {
        this.size = size;
        this.scale = pxPerUm;
        this.origin = size / 2.0;
        this.image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        this.rgb = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
    }

    int size() {
        return size;
    }

    /** Pixels per micrometre. */
    double scale() {
        return scale;
    }

    BufferedImage image() {
        return image;
    }

    double px(double xUm) {
        return origin + xUm * scale;
    }

    /** The transform from world micrometres to pixels. */
    AffineTransform worldToPixels() {
        AffineTransform t = AffineTransform.getTranslateInstance(origin, origin);
        t.scale(scale, scale);
        return t;
    }

    void fill(int color) {
        Arrays.fill(rgb, color);
    }

    /**
     * Antialiased coverage (0..1 per pixel) of a shape given in world micrometres, rasterised by
     * Java2D.
     */
    float[] coverage(Shape worldShape) {
        if (scratch == null) {
            scratch = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        }
        int[] data = ((DataBufferInt) scratch.getRaster().getDataBuffer()).getData();
        Arrays.fill(data, 0);
        Graphics2D g = scratch.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.setColor(Color.WHITE);
            g.fill(worldToPixels().createTransformedShape(worldShape));
        } finally {
            g.dispose();
        }
        float[] mask = new float[data.length];
        for (int i = 0; i < data.length; i++) {
            mask[i] = (data[i] & 0xff) * (1f / 255f);
        }
        return mask;
    }

    /**
     * A box blur of a mask with the given radius in pixels (two passes, roughly Gaussian). Only the
     * bounding box of the mask's support, grown by the blur's reach, is processed.
     */
    static float[] blurred(float[] mask, int n, int radius) {
        int minX = n;
        int minY = n;
        int maxX = -1;
        int maxY = -1;
        for (int j = 0; j < n; j++) {
            int row = j * n;
            for (int i = 0; i < n; i++) {
                if (mask[row + i] > 0f) {
                    minX = Math.min(minX, i);
                    maxX = Math.max(maxX, i);
                    minY = Math.min(minY, j);
                    maxY = Math.max(maxY, j);
                }
            }
        }
        float[] a = mask.clone();
        if (maxX < 0) {
            return a;
        }
        int grow = 2 * radius + 1;
        int x0 = Math.max(0, minX - grow);
        int x1 = Math.min(n - 1, maxX + grow);
        int y0 = Math.max(0, minY - grow);
        int y1 = Math.min(n - 1, maxY + grow);
        float[] b = new float[a.length];
        float norm = 1f / (2 * radius + 1);
        for (int pass = 0; pass < 2; pass++) {
            for (int j = y0; j <= y1; j++) {
                int row = j * n;
                float sum = 0;
                for (int k = x0 - radius; k <= x0 + radius; k++) {
                    sum += a[row + clamp(k, 0, n - 1)];
                }
                for (int i = x0; i <= x1; i++) {
                    b[row + i] = sum * norm;
                    sum +=
                            a[row + Math.min(n - 1, i + radius + 1)]
                                    - a[row + Math.max(0, i - radius)];
                }
            }
            for (int i = x0; i <= x1; i++) {
                float sum = 0;
                for (int k = y0 - radius; k <= y0 + radius; k++) {
                    sum += b[clamp(k, 0, n - 1) * n + i];
                }
                for (int j = y0; j <= y1; j++) {
                    a[j * n + i] = sum * norm;
                    sum +=
                            b[Math.min(n - 1, j + radius + 1) * n + i]
                                    - b[Math.max(0, j - radius) * n + i];
                }
            }
        }
        return a;
    }

    /** Blends a flat colour over the image, weighted by a mask and an opacity. */
    void paint(float[] mask, int color, double opacity) {
        int r = color >> 16 & 0xff;
        int g = color >> 8 & 0xff;
        int b = color & 0xff;
        for (int i = 0; i < rgb.length; i++) {
            float w = mask[i];
            if (w > 0f) {
                rgb[i] = blend(rgb[i], r, g, b, w * opacity);
            }
        }
    }

    /**
     * Blends a colour that shades from {@code inner} to {@code outer} towards the edge of a masked
     * region: {@code edge} is 1 inside the region and falls towards 0 at its border (a blurred copy
     * of the mask), so {@code 1 - edge} is the rim.
     */
    void paintShaded(float[] mask, float[] edge, int inner, int outer, double opacity) {
        int ir = inner >> 16 & 0xff;
        int ig = inner >> 8 & 0xff;
        int ib = inner & 0xff;
        int or = outer >> 16 & 0xff;
        int og = outer >> 8 & 0xff;
        int ob = outer & 0xff;
        for (int i = 0; i < rgb.length; i++) {
            float w = mask[i];
            if (w > 0f) {
                float t = 1f - edge[i];
                t = t < 0f ? 0f : t > 1f ? 1f : t;
                t = t * (2f - t);
                rgb[i] =
                        blend(
                                rgb[i],
                                ir + (int) ((or - ir) * t),
                                ig + (int) ((og - ig) * t),
                                ib + (int) ((ob - ib) * t),
                                w * opacity);
            }
        }
    }

    /**
     * Splats an antialiased disc centred at world (x, y) with radius {@code r} micrometres. {@code
     * soft} widens the edge (0 = crisp, 1 = a blob that fades from its centre). Where {@code mask}
     * is given the disc is weighted by it pixel by pixel, so it never leaks out of that region.
     */
    void disc(double x, double y, double r, int color, double alpha, double soft, float[] mask) {
        double cx = px(x);
        double cy = px(y);
        double rp = r * scale;
        if (rp < 0.6) {
            alpha *= (rp / 0.6) * (rp / 0.6);
            rp = 0.6;
        }
        double feather = Math.max(1.0, soft * rp * 2);
        double reach = rp + feather * 0.5;
        int x0 = Math.max(0, (int) Math.floor(cx - reach));
        int x1 = Math.min(size - 1, (int) Math.ceil(cx + reach));
        int y0 = Math.max(0, (int) Math.floor(cy - reach));
        int y1 = Math.min(size - 1, (int) Math.ceil(cy + reach));
        double reach2 = reach * reach;
        int cr = color >> 16 & 0xff;
        int cg = color >> 8 & 0xff;
        int cb = color & 0xff;
        for (int j = y0; j <= y1; j++) {
            double dy = j + 0.5 - cy;
            int row = j * size;
            for (int i = x0; i <= x1; i++) {
                double dx = i + 0.5 - cx;
                double d2 = dx * dx + dy * dy;
                if (d2 >= reach2) {
                    continue;
                }
                double d = Math.sqrt(d2);
                double cov = (rp - d) / feather + 0.5;
                if (cov <= 0) {
                    continue;
                }
                if (cov > 1) {
                    cov = 1;
                }
                double w = cov * alpha;
                if (mask != null) {
                    w *= mask[row + i];
                }
                if (w > 0) {
                    rgb[row + i] = blend(rgb[row + i], cr, cg, cb, w);
                }
            }
        }
    }

    /**
     * Splats a red-cell-like disc: an ellipse with semi-axes {@code a} and {@code b} (rotated by
     * {@code angle}), body colour with a darker rim and a lighter centre.
     */
    void biconcave(
            double x,
            double y,
            double a,
            double b,
            double angle,
            int body,
            int rim,
            int pallor,
            double pallorSize,
            double alpha) {
        double cx = px(x);
        double cy = px(y);
        double ap = a * scale;
        double bp = b * scale;
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        double reach = Math.max(ap, bp) + 1;
        int x0 = Math.max(0, (int) Math.floor(cx - reach));
        int x1 = Math.min(size - 1, (int) Math.ceil(cx + reach));
        int y0 = Math.max(0, (int) Math.floor(cy - reach));
        int y1 = Math.min(size - 1, (int) Math.ceil(cy + reach));
        double edgePx = 1.0 / Math.min(ap, bp);
        for (int j = y0; j <= y1; j++) {
            double dy = j + 0.5 - cy;
            int row = j * size;
            for (int i = x0; i <= x1; i++) {
                double dx = i + 0.5 - cx;
                double u = (dx * cos + dy * sin) / ap;
                double v = (-dx * sin + dy * cos) / bp;
                double rho = Math.sqrt(u * u + v * v);
                double cov = (1 - rho) / edgePx + 0.5;
                if (cov <= 0) {
                    continue;
                }
                cov = Math.min(1, cov);
                int c = body;
                double rimT = smoothstep(0.72, 0.97, rho);
                c = mix(c, rim, rimT * 0.8);
                double pal = 1 - smoothstep(pallorSize * 0.35, pallorSize, rho);
                c = mix(c, pallor, pal);
                rgb[row + i] =
                        blend(rgb[row + i], c >> 16 & 0xff, c >> 8 & 0xff, c & 0xff, cov * alpha);
            }
        }
    }

    /** Splats an antialiased capsule (a rod with round ends) between two world points. */
    void rod(
            double x0,
            double y0,
            double x1,
            double y1,
            double halfWidth,
            int color,
            double alpha,
            float[] mask) {
        double ax = px(x0);
        double ay = px(y0);
        double bx = px(x1);
        double by = px(y1);
        double hw = halfWidth * scale;
        if (hw < 0.6) {
            alpha *= hw / 0.6;
            hw = 0.6;
        }
        double reach = hw + 1;
        int i0 = Math.max(0, (int) Math.floor(Math.min(ax, bx) - reach));
        int i1 = Math.min(size - 1, (int) Math.ceil(Math.max(ax, bx) + reach));
        int j0 = Math.max(0, (int) Math.floor(Math.min(ay, by) - reach));
        int j1 = Math.min(size - 1, (int) Math.ceil(Math.max(ay, by) + reach));
        double ex = bx - ax;
        double ey = by - ay;
        double len2 = Math.max(1e-9, ex * ex + ey * ey);
        int cr = color >> 16 & 0xff;
        int cg = color >> 8 & 0xff;
        int cb = color & 0xff;
        for (int j = j0; j <= j1; j++) {
            int row = j * size;
            for (int i = i0; i <= i1; i++) {
                double px = i + 0.5 - ax;
                double py = j + 0.5 - ay;
                double t = Math.max(0, Math.min(1, (px * ex + py * ey) / len2));
                double dx = px - t * ex;
                double dy = py - t * ey;
                double d = Math.sqrt(dx * dx + dy * dy);
                double cov = hw - d + 0.5;
                if (cov <= 0) {
                    continue;
                }
                double w = Math.min(1, cov) * alpha;
                if (mask != null) {
                    w *= mask[row + i];
                }
                if (w > 0) {
                    rgb[row + i] = blend(rgb[row + i], cr, cg, cb, w);
                }
            }
        }
    }

    /**
     * The optical finish: a slight blur (about 0.18 µm, the look of a 100x oil objective), uneven
     * illumination and sensor noise. {@code rnd} is only used here, so the number of pixels does
     * not disturb the random draws of the drawing itself.
     */
    void finish(SplittableRandom rnd, int extraBlurPasses, double vignette, double noise) {
        double sigmaPx = 0.18 * scale;
        int passes = (int) Math.round(sigmaPx * sigmaPx / 0.5);
        passes = clamp(passes, 1, 8) + extraBlurPasses;
        int n = size;
        // the three channels side by side in one long, 4 fractional bits each
        long[] px = new long[n * n];
        for (int i = 0; i < rgb.length; i++) {
            int c = rgb[i];
            px[i] = (long) (c >> 16 & 0xff) << 44 | (long) (c >> 8 & 0xff) << 24 | (c & 0xff) << 4;
        }
        long[] tmp = new long[n * n];
        for (int p = 0; p < passes; p++) {
            binomial(px, tmp, n);
        }
        double lx = rnd.nextDouble(-0.5, 0.5) * n;
        double ly = rnd.nextDouble(-0.5, 0.5) * n;
        double inv = 1.0 / ((double) n * n);
        double noiseScale = noise / 255.0;
        for (int j = 0; j < n; j++) {
            double dy = j + 0.5 - n / 2.0 - ly;
            for (int i = 0; i < n; i++) {
                int k = j * n + i;
                double dx = i + 0.5 - n / 2.0 - lx;
                double light = (1.0 - vignette * (dx * dx + dy * dy) * inv) / 16.0;
                // one draw per pixel: two bytes for a triangular luminance noise, three nibbles
                // for a little chroma noise
                long bits = rnd.nextLong();
                double lum = ((bits & 0xff) + (bits >>> 8 & 0xff) - 255) * noiseScale;
                long v = px[k];
                double r = v >>> 40 & LANE;
                double g = v >>> 20 & LANE;
                double b = v & LANE;
                int cr = (int) (r * light + lum + ((bits >>> 16 & 0xf) - 7.5) * 0.15 + 0.5);
                int cg = (int) (g * light + lum + ((bits >>> 20 & 0xf) - 7.5) * 0.15 + 0.5);
                int cb = (int) (b * light + lum + ((bits >>> 24 & 0xf) - 7.5) * 0.15 + 0.5);
                rgb[k] = clamp(cr, 0, 255) << 16 | clamp(cg, 0, 255) << 8 | clamp(cb, 0, 255);
            }
        }
    }

    /** One 20-bit lane of a packed pixel: a channel with 4 fractional bits (at most 4080). */
    private static final long LANE = 0xFFFFF;

    /** Clears, in every lane, the two bits a right shift by 2 drags in from the lane above. */
    private static final long AFTER_SHIFT = 0x3FFFFL << 40 | 0x3FFFFL << 20 | 0x3FFFFL;

    /** Three 2-bit rounding offsets, one per lane. */
    private static final long ROUND = 2L << 40 | 2L << 20 | 2L;

    /**
     * One separable [1 2 1]/4 pass, in place, edges clamped, on pixels packed three channels to a
     * long (lane sums stay below 2^15, so lanes never carry into each other).
     */
    private static void binomial(long[] ch, long[] tmp, int n) {
        for (int j = 0; j < n; j++) {
            int row = j * n;
            for (int i = 0; i < n; i++) {
                long l = ch[row + Math.max(0, i - 1)];
                long m = ch[row + i];
                long rr = ch[row + Math.min(n - 1, i + 1)];
                tmp[row + i] = (l + 2 * m + rr + ROUND) >>> 2 & AFTER_SHIFT;
            }
        }
        for (int j = 0; j < n; j++) {
            int up = Math.max(0, j - 1) * n;
            int row = j * n;
            int down = Math.min(n - 1, j + 1) * n;
            for (int i = 0; i < n; i++) {
                ch[row + i] =
                        (tmp[up + i] + 2 * tmp[row + i] + tmp[down + i] + ROUND) >>> 2
                                & AFTER_SHIFT;
            }
        }
    }

    static int blend(int dst, int r, int g, int b, double w) {
        if (w >= 1) {
            return r << 16 | g << 8 | b;
        }
        int dr = dst >> 16 & 0xff;
        int dg = dst >> 8 & 0xff;
        int db = dst & 0xff;
        return (int) (dr + (r - dr) * w + 0.5) << 16
                | (int) (dg + (g - dg) * w + 0.5) << 8
                | (int) (db + (b - db) * w + 0.5);
    }

    static int mix(int a, int b, double t) {
        if (t <= 0) {
            return a;
        }
        return blend(a, b >> 16 & 0xff, b >> 8 & 0xff, b & 0xff, Math.min(1, t));
    }

    static double smoothstep(double e0, double e1, double x) {
        double t = Math.max(0, Math.min(1, (x - e0) / (e1 - e0)));
        return t * t * (3 - 2 * t);
    }

    static int clamp(int v, int lo, int hi) {
        return v < lo ? lo : v > hi ? hi : v;
    }
}
