package org.bloomstream.devkit.synthetic;

import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Area;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.Objects;
import java.util.SplittableRandom;
import org.bloomstream.devkit.feed.CellKind;

/**
 * Draws plausible single white-cell crops from a May-Grünwald-Giemsa (Wright) stained peripheral
 * blood smear: pale plasma with a few partly visible red cells around the edges and one white cell
 * of the requested {@link CellKind} near the centre.
 *
 * <p>Everything is a function of {@code (kind, seed, size)}: the same arguments always give the
 * same pixels, and the drawing itself (cell size, shape, rotation, position, stain) does not depend
 * on {@code size}, so one seed renders the same cell at any resolution. The field of view is
 * {@value #FIELD_UM} µm wide whatever the pixel size, so cell sizes are comparable between kinds,
 * as they are on a scanner with a fixed objective. Instances are immutable and thread-safe.
 *
 * <p>The images are synthetic: they have the colours, sizes and textures a hematologist would name,
 * not the statistics of real scans.
 */
public final class CellRenderer {

    /** The smallest crop edge accepted, in pixels. */
    public static final int MIN_SIZE = 32;

    /** The largest crop edge accepted, in pixels (a guard against absurd allocations). */
    public static final int MAX_SIZE = 1024;

    /** Width of the field of view in micrometres. */
    static final double FIELD_UM = 26.0;

    /** Room kept between the white cell and the crop edge, in micrometres. */
    private static final double MARGIN_UM = 0.5;

    private static final double TAU = 2 * Math.PI;

    private final int size;
    private final double pxPerUm;

    /**
     * @param size the crop edge in pixels, {@value #MIN_SIZE} to {@value #MAX_SIZE}
     * @throws IllegalArgumentException if {@code size} is out of that range
     */
    public CellRenderer(int size) {
        if (size < MIN_SIZE || size > MAX_SIZE) {
            throw new IllegalArgumentException(
                    "crop size must be between "
                            + MIN_SIZE
                            + " and "
                            + MAX_SIZE
                            + " pixels, got "
                            + size);
        }
        this.size = size;
        this.pxPerUm = size / FIELD_UM;
    }

    /** The crop edge in pixels. */
    public int size() {
        return size;
    }

    /**
     * Renders one crop.
     *
     * @return a new {@code size x size} {@link BufferedImage#TYPE_INT_RGB} image
     */
    public BufferedImage render(CellKind kind, long seed) {
        Scene scene = scene(kind, seed);
        SplittableRandom rnd = scene.rnd();
        CellCanvas canvas = new CellCanvas(size, pxPerUm);
        background(canvas, scene.stain(), rnd, scene.frame(), scene.body());
        Cell cell = new Cell(canvas, scene.stain(), rnd, scene.body(), scene.frame());
        switch (kind) {
            case NEUTROPHIL -> neutrophil(cell);
            case LYMPHOCYTE -> lymphocyte(cell);
            case MONOCYTE -> monocyte(cell);
            case EOSINOPHIL -> eosinophil(cell);
            case BASOPHIL -> basophil(cell);
            case BLAST -> blast(cell);
            case PROMYELOCYTE -> promyelocyte(cell);
        }
        int extraBlur = rnd.nextDouble() < 0.2 ? 1 : 0;
        canvas.finish(
                scene.sensor(), extraBlur, rnd.nextDouble(0.02, 0.08), rnd.nextDouble(2.0, 4.5));
        return canvas.image();
    }

    /**
     * Where {@link #render} puts the white cell for these arguments, in pixels: its centre and the
     * radius of a circle about that centre that holds the whole cell.
     */
    Layout layout(CellKind kind, long seed) {
        Scene scene = scene(kind, seed);
        double centre = size / 2.0;
        return new Layout(
                centre + scene.frame().cx() * pxPerUm,
                centre + scene.frame().cy() * pxPerUm,
                scene.body().maxRadius() * pxPerUm);
    }

    /** The white cell's placement in pixels, see {@link #layout}. */
    record Layout(double centreX, double centreY, double radius) {}

    /** The first, size-independent draws of a render: stain, cell outline and placement. */
    private record Scene(
            SplittableRandom rnd, SplittableRandom sensor, Stain stain, Body body, Frame frame) {}

    private static Scene scene(CellKind kind, long seed) {
        Objects.requireNonNull(kind, "kind");
        SplittableRandom rnd = new SplittableRandom(seedFor(kind, seed));
        SplittableRandom sensor = rnd.split();
        Stain stain = Stain.random(rnd);
        Body body = Body.random(kind, rnd);
        // the centre stays within the central 30% of the crop and the cell inside it
        double slack = Math.max(0, FIELD_UM / 2 - body.maxRadius() - MARGIN_UM);
        double jitter = Math.min(slack, 0.15 * FIELD_UM);
        double cx = rnd.nextDouble(-1, 1) * jitter;
        double cy = rnd.nextDouble(-1, 1) * jitter;
        Frame frame = new Frame(cx, cy, rnd.nextDouble(TAU));
        return new Scene(rnd, sensor, stain, body, frame);
    }

    private static long seedFor(CellKind kind, long seed) {
        long salt = 0x9E3779B97F4A7C15L * (kind.label().hashCode() * 31L + 17L);
        return new SplittableRandom(seed).nextLong() ^ salt;
    }

    // ---------------------------------------------------------------------------------------
    // Scene pieces
    // ---------------------------------------------------------------------------------------

    /** Plasma and red cells. Red cells sit around the edges, clear of the white cell. */
    private static void background(
            CellCanvas canvas, Stain stain, SplittableRandom rnd, Frame frame, Body body) {
        int plasma = stain.ink(jitter(rnd, 0xF2E0DE, 5));
        canvas.fill(plasma);
        int rbcBody = stain.ink(jitter(rnd, 0xE4AA9C, 8));
        int rbcRim = stain.ink(0xD09088);
        int rbcPallor = CellCanvas.mix(rbcBody, plasma, 0.7);
        double half = FIELD_UM / 2;
        int wanted = 3 + rnd.nextInt(5);
        double[] xs = new double[wanted];
        double[] ys = new double[wanted];
        double[] rs = new double[wanted];
        int placed = 0;
        for (int attempt = 0; attempt < 60 && placed < wanted; attempt++) {
            double r = rnd.nextDouble(3.4, 4.0);
            double a = rnd.nextDouble(TAU);
            double d = rnd.nextDouble(0.65, 1.2) * half * Math.sqrt(2) * 0.85;
            double x = Math.cos(a) * d;
            double y = Math.sin(a) * d;
            boolean visible = Math.abs(x) < half + r * 0.4 && Math.abs(y) < half + r * 0.4;
            boolean clearOfCell =
                    Math.hypot(x - frame.cx(), y - frame.cy()) > body.maxRadius() + r * 0.55;
            boolean ok = visible && clearOfCell;
            for (int k = 0; ok && k < placed; k++) {
                ok = Math.hypot(x - xs[k], y - ys[k]) > (r + rs[k]) * 0.8;
            }
            if (ok) {
                xs[placed] = x;
                ys[placed] = y;
                rs[placed] = r;
                placed++;
            }
        }
        for (int k = 0; k < placed; k++) {
            double squash = rnd.nextDouble(0.88, 1.0);
            canvas.biconcave(
                    xs[k],
                    ys[k],
                    rs[k],
                    rs[k] * squash,
                    rnd.nextDouble(Math.PI),
                    jitter(rnd, rbcBody, 4),
                    rbcRim,
                    rbcPallor,
                    rnd.nextDouble(0.45, 0.65),
                    rnd.nextDouble(0.85, 0.95));
        }
        // a platelet now and then
        if (rnd.nextDouble() < 0.3) {
            double a = rnd.nextDouble(TAU);
            double d = body.maxRadius() + rnd.nextDouble(1.0, 3.0);
            double x = frame.cx() + Math.cos(a) * d;
            double y = frame.cy() + Math.sin(a) * d;
            int platelet = stain.ink(0x9A6FB0);
            boolean inside = Math.abs(x) < half - 1 && Math.abs(y) < half - 1;
            for (int k = 0; inside && k < 6; k++) {
                canvas.disc(
                        x + rnd.nextDouble(-0.5, 0.5),
                        y + rnd.nextDouble(-0.5, 0.5),
                        rnd.nextDouble(0.2, 0.45),
                        platelet,
                        0.6,
                        0.6,
                        null);
            }
        }
    }

    private static void neutrophil(Cell c) {
        c.cytoplasm(0xE2C8DA, 0xD2B0CB, 0.97);
        c.mottle(c.cellMask, 0.12, 0.8, 1.6, 0xCCA6C6, 0xF0E0EC, 0.3);
        c.dust(4.0, 0.08, 0.16, 0xB484B6, 0.45, 0xF1E2EE, 0.35);

        SplittableRandom rnd = c.rnd;
        double p = rnd.nextDouble();
        int lobes = p < 0.45 ? 3 : p < 0.85 ? 4 : 5;
        double[] lx = new double[lobes];
        double[] ly = new double[lobes];
        double dir = rnd.nextDouble(TAU);
        double bias = (rnd.nextBoolean() ? 1 : -1) * Math.toRadians(rnd.nextDouble(25, 50));
        for (int i = 1; i < lobes; i++) {
            double step = rnd.nextDouble(2.7, 3.3);
            lx[i] = lx[i - 1] + Math.cos(dir) * step;
            ly[i] = ly[i - 1] + Math.sin(dir) * step;
            dir += bias + Math.toRadians(rnd.nextDouble(-25, 25));
        }
        centreAndFit(lx, ly, c.body.r0() - 2.4);
        Path2D nucleus = new Path2D.Double(Path2D.WIND_NON_ZERO);
        double strand = rnd.nextDouble(0.18, 0.3);
        for (int i = 0; i + 1 < lobes; i++) {
            nucleus.append(strand(lx[i], ly[i], lx[i + 1], ly[i + 1], strand), false);
        }
        for (int i = 0; i < lobes; i++) {
            double along =
                    i + 1 < lobes
                            ? Math.atan2(ly[i + 1] - ly[i], lx[i + 1] - lx[i])
                            : Math.atan2(ly[i] - ly[i - 1], lx[i] - lx[i - 1]);
            double angle = along + Math.PI / 2 + Math.toRadians(rnd.nextDouble(-40, 40));
            double la = rnd.nextDouble(1.6, 2.1);
            double lb = rnd.nextDouble(1.1, 1.4);
            nucleus.append(ellipse(lx[i], ly[i], la, lb, angle), false);
            // a second, offset blob makes the lobe bean-shaped rather than a perfect ellipse
            double shift = rnd.nextDouble(-0.5, 0.5);
            nucleus.append(
                    ellipse(
                            lx[i] + Math.cos(angle) * shift,
                            ly[i] + Math.sin(angle) * shift,
                            la * 0.8,
                            lb * rnd.nextDouble(0.9, 1.15),
                            angle + rnd.nextDouble(-0.4, 0.4)),
                    false);
        }
        c.nucleus(nucleus, 0x5E3288, 0x4A2370);
        c.mottle(c.nucleusMask, 0.5, 0.5, 1.0, 0x3E1A66, 0x8E6AAE, 0.35);
        c.chromatin(2.5, 0.25, 0.5, 0x3A1660, 0.55, 0.55, 0x9A78B4, 0.4);
        c.finishCell(0xB590B8);
    }

    private static void lymphocyte(Cell c) {
        c.cytoplasm(0xB4CBE8, 0x8AA8D8, 0.98);
        c.mottle(c.cellMask, 0.3, 0.5, 1.0, 0x9AB4DE, 0xCADAF0, 0.3);
        SplittableRandom rnd = c.rnd;
        double r0 = c.body.r0();
        double a = r0 * rnd.nextDouble(0.78, 0.87);
        double b = a * rnd.nextDouble(0.88, 1.0);
        double off = Math.min(r0 - a - 0.3, r0 * rnd.nextDouble(0.0, 0.12));
        double oa = rnd.nextDouble(TAU);
        Area nucleus =
                new Area(
                        ellipse(
                                Math.cos(oa) * off,
                                Math.sin(oa) * off,
                                a,
                                b,
                                rnd.nextDouble(Math.PI)));
        if (rnd.nextDouble() < 0.25) {
            double na = rnd.nextDouble(TAU);
            double nr = rnd.nextDouble(0.5, 0.9);
            nucleus.subtract(
                    new Area(
                            ellipse(
                                    Math.cos(oa) * off + Math.cos(na) * (a + nr * 0.4),
                                    Math.sin(oa) * off + Math.sin(na) * (a + nr * 0.4),
                                    nr,
                                    nr,
                                    0)));
        }
        c.nucleus(nucleus, 0x4C2A80, 0x3A1C66);
        c.mottle(c.nucleusMask, 0.5, 0.6, 1.2, 0x2E1254, 0x6E4E9C, 0.35);
        c.chromatin(2.2, 0.3, 0.65, 0x2A0F50, 0.5, 0.4, 0x7C5CA8, 0.35);
        c.finishCell(0x7E9ED2);
    }

    private static void monocyte(Cell c) {
        c.cytoplasm(0xBCBCD6, 0xA2A2C6, 0.97);
        c.mottle(c.cellMask, 0.15, 0.8, 1.8, 0xA8A6C8, 0xD2D2E4, 0.35);
        c.dust(3.0, 0.09, 0.16, 0xB890BC, 0.45, 0xDCDCEA, 0.3);
        SplittableRandom rnd = c.rnd;
        double a = rnd.nextDouble(5.0, 5.9);
        double b = rnd.nextDouble(3.8, 4.5);
        double ox = rnd.nextDouble(-0.8, 0.8);
        double oy = rnd.nextDouble(-0.8, 0.8);
        double angle = rnd.nextDouble(TAU);
        Shape nucleus;
        double p = rnd.nextDouble();
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        if (p < 0.5) {
            // kidney: a bite out of one long side
            double r = rnd.nextDouble(1.6, 2.3);
            double d = b + r * rnd.nextDouble(0.15, 0.45);
            Area kidney = new Area(ellipse(ox, oy, a, b, angle));
            kidney.subtract(new Area(ellipse(ox - sin * d, oy + cos * d, r * 1.2, r, angle)));
            nucleus = kidney;
        } else if (p < 0.8) {
            // horseshoe: a deep U
            double d = b * rnd.nextDouble(0.35, 0.6);
            Area horseshoe = new Area(ellipse(ox, oy, a, b, angle));
            horseshoe.subtract(
                    new Area(
                            ellipse(
                                    ox - sin * d,
                                    oy + cos * d,
                                    a * rnd.nextDouble(0.45, 0.6),
                                    b * 0.75,
                                    angle)));
            nucleus = horseshoe;
        } else {
            // folded: two overlapping lobes
            double d = a * 0.35;
            Path2D folded = new Path2D.Double(Path2D.WIND_NON_ZERO);
            folded.append(
                    ellipse(
                            ox + cos * d,
                            oy + sin * d,
                            a * 0.7,
                            b * 0.95,
                            angle + rnd.nextDouble(0.2, 0.6)),
                    false);
            folded.append(
                    ellipse(
                            ox - cos * d,
                            oy - sin * d,
                            a * 0.65,
                            b * 0.85,
                            angle - rnd.nextDouble(0.2, 0.6)),
                    false);
            nucleus = folded;
        }
        c.nucleus(nucleus, 0x86609E, 0x6E4A8A);
        c.mottle(c.nucleusMask, 0.4, 0.6, 1.2, 0x6A4888, 0xA88CC0, 0.3);
        // lacy chromatin: pale holes and darker strands
        c.chromatin(1.6, 0.25, 0.5, 0x5C3A7C, 0.35, 0.45, 0xBFA8D0, 0.45);
        c.strands(1.3, 0x5A3878, 0.35);
        c.vacuoles(rnd.nextInt(2, 7), 0.25, 0.75, 0xEDEBF2);
        c.finishCell(0x9496BC);
    }

    private static void eosinophil(Cell c) {
        c.cytoplasm(0xEBC0A8, 0xDDA590, 0.97);
        SplittableRandom rnd = c.rnd;
        double sep = rnd.nextDouble(1.9, 2.4);
        double axis = rnd.nextDouble(TAU);
        double cos = Math.cos(axis);
        double sin = Math.sin(axis);
        double sag = rnd.nextDouble(0.3, 0.9);
        double x1 = cos * sep - sin * sag;
        double y1 = sin * sep + cos * sag;
        double x2 = -cos * sep - sin * sag;
        double y2 = -sin * sep + cos * sag;
        Path2D nucleus = new Path2D.Double(Path2D.WIND_NON_ZERO);
        nucleus.append(strand(x1, y1, x2, y2, rnd.nextDouble(0.25, 0.4)), false);
        nucleus.append(
                ellipse(
                        x1,
                        y1,
                        rnd.nextDouble(1.7, 2.1),
                        rnd.nextDouble(1.25, 1.55),
                        axis + rnd.nextDouble(0.8, 1.6)),
                false);
        nucleus.append(
                ellipse(
                        x2,
                        y2,
                        rnd.nextDouble(1.7, 2.1),
                        rnd.nextDouble(1.25, 1.55),
                        axis - rnd.nextDouble(0.8, 1.6)),
                false);
        c.nucleus(nucleus, 0x64408E, 0x5A337E);
        c.chromatin(1.8, 0.25, 0.45, 0x452266, 0.4, 0.7, 0x9478B4, 0.25);
        // coarse orange-red granules, a few over the nucleus
        c.granules(
                2.6,
                0.3,
                0.46,
                new int[] {0xE2704A, 0xEE8A58, 0xD26042, 0xF0A070},
                0.85,
                0.15,
                0,
                0,
                0,
                0.45);
        c.finishCell(0xC98A76);
    }

    private static void basophil(Cell c) {
        c.cytoplasm(0xD6C3DE, 0xC3ACD2, 0.97);
        SplittableRandom rnd = c.rnd;
        Path2D nucleus = new Path2D.Double(Path2D.WIND_NON_ZERO);
        int lobes = 2 + rnd.nextInt(2);
        for (int i = 0; i < lobes; i++) {
            nucleus.append(
                    ellipse(
                            rnd.nextDouble(-1.4, 1.4),
                            rnd.nextDouble(-1.4, 1.4),
                            rnd.nextDouble(1.6, 2.3),
                            rnd.nextDouble(1.3, 1.8),
                            rnd.nextDouble(Math.PI)),
                    false);
        }
        c.nucleus(nucleus, 0x8C6AAE, 0x7A5A9E);
        c.chromatin(1.0, 0.25, 0.45, 0x5E3F82, 0.3, 0.3, 0xB8A0CC, 0.3);
        // dense coarse granules everywhere, over the nucleus too
        c.granules(
                2.0, 0.28, 0.62, new int[] {0x34205E, 0x402670, 0x2C1A52}, 0.92, 0.9, 0, 0, 0, 0);
        c.finishCell(0x7E62A0);
    }

    private static void blast(Cell c) {
        c.cytoplasm(0x8E9DC8, 0x6676AE, 0.98);
        c.mottle(c.cellMask, 0.3, 0.6, 1.2, 0x7080B4, 0xA8B2D4, 0.35);
        c.dust(1.5, 0.08, 0.14, 0x5A6AA8, 0.4, 0xB0BCDC, 0.3);
        SplittableRandom rnd = c.rnd;
        double r0 = c.body.r0();
        double a = r0 * rnd.nextDouble(0.74, 0.83);
        double b = a * rnd.nextDouble(0.86, 1.0);
        double off = Math.max(0, Math.min(r0 - a - 0.6, r0 * rnd.nextDouble(0.0, 0.14)));
        double oa = rnd.nextDouble(TAU);
        double nx = Math.cos(oa) * off;
        double ny = Math.sin(oa) * off;
        double na = rnd.nextDouble(Math.PI);
        Area nucleus = new Area(ellipse(nx, ny, a, b, na));
        c.nucleus(nucleus, 0x9474B8, 0x7C5CA6);
        c.mottle(c.nucleusMask, 0.3, 0.6, 1.2, 0x7C5CA4, 0xB09AD0, 0.25);
        // fine, even chromatin: many tiny low-contrast dots
        c.chromatin(5.0, 0.12, 0.22, 0x6A4A94, 0.4, 0.5, 0xC2AEDA, 0.4);
        int nucleoli = 1 + rnd.nextInt(3);
        for (int i = 0; i < nucleoli; i++) {
            double t = rnd.nextDouble(TAU);
            double rr = Math.sqrt(rnd.nextDouble()) * 0.5;
            double x = nx + Math.cos(t) * a * rr;
            double y = ny + Math.sin(t) * b * rr;
            double size = rnd.nextDouble(0.55, 1.0);
            c.nucleolus(x, y, size);
        }
        if (rnd.nextDouble() < 0.3) {
            // an Auer rod in the widest part of the cytoplasm
            double d = (r0 + a - off) / 2;
            double x = -Math.cos(oa) * d;
            double y = -Math.sin(oa) * d;
            double dir = oa + Math.PI / 2 + rnd.nextDouble(-0.4, 0.4);
            double len = rnd.nextDouble(2.2, 3.8);
            c.rod(x, y, dir, len, rnd.nextDouble(0.14, 0.2));
        }
        c.finishCell(0x5A70B2);
    }

    private static void promyelocyte(Cell c) {
        c.cytoplasm(0xD7B6D6, 0xC49CC6, 0.97);
        SplittableRandom rnd = c.rnd;
        double r0 = c.body.r0();
        double a = rnd.nextDouble(4.0, 5.0);
        double b = rnd.nextDouble(3.2, 4.0);
        double oa = rnd.nextDouble(TAU);
        double off = Math.max(0, Math.min(r0 - a - 1.2, r0 * rnd.nextDouble(0.25, 0.35)));
        double nx = Math.cos(oa) * off;
        double ny = Math.sin(oa) * off;
        // long axis roughly along the cell edge it leans against
        double na = oa + Math.PI / 2 + rnd.nextDouble(-0.4, 0.4);
        Area nucleus = new Area(ellipse(nx, ny, a, b, na));
        if (rnd.nextDouble() < 0.3) {
            double r = rnd.nextDouble(1.0, 1.6);
            nucleus.subtract(
                    new Area(
                            ellipse(
                                    nx - Math.cos(oa) * (b + r * 0.3),
                                    ny - Math.sin(oa) * (b + r * 0.3),
                                    r,
                                    r,
                                    0)));
        }
        // Golgi zone: a paler patch next to the nucleus, towards the cell centre
        double gx = nx - Math.cos(oa) * (b + 0.6);
        double gy = ny - Math.sin(oa) * (b + 0.6);
        c.softSpot(gx, gy, rnd.nextDouble(1.3, 2.0), 0xE6D2E4, 0.6);
        c.nucleus(nucleus, 0x8E6AB0, 0x7A569E);
        c.chromatin(3.0, 0.14, 0.26, 0x64428C, 0.35, 0.5, 0xBCA4D2, 0.35);
        if (rnd.nextDouble() < 0.4) {
            c.nucleolus(
                    nx + rnd.nextDouble(-1, 1),
                    ny + rnd.nextDouble(-1, 1),
                    rnd.nextDouble(0.45, 0.75));
        }
        // heavy azurophilic granules, sparser in the Golgi zone, some over the nucleus
        c.granules(
                3.2,
                0.22,
                0.42,
                new int[] {0x9A2A70, 0x84246A, 0xA8347A, 0x6E1E60},
                0.85,
                0.3,
                gx,
                gy,
                1.6,
                0);
        double p = rnd.nextDouble();
        if (p < 0.35) {
            // a bundle of Auer rods ("faggot cell"), opposite the nucleus
            int rods = rnd.nextInt(3, 8);
            double d = rnd.nextDouble(0.35, 0.55) * r0;
            double bx = -Math.cos(oa) * d;
            double by = -Math.sin(oa) * d;
            double dir = rnd.nextDouble(Math.PI);
            for (int i = 0; i < rods; i++) {
                double across = rnd.nextDouble(-0.9, 0.9);
                double shift = rnd.nextDouble(-0.8, 0.8);
                double x = bx - Math.sin(dir) * across + Math.cos(dir) * shift;
                double y = by + Math.cos(dir) * across + Math.sin(dir) * shift;
                c.rod(
                        x,
                        y,
                        dir + rnd.nextDouble(-0.25, 0.25),
                        rnd.nextDouble(2.8, 5.0),
                        rnd.nextDouble(0.12, 0.17));
            }
        } else if (p < 0.5) {
            double d = rnd.nextDouble(0.4, 0.6) * r0;
            c.rod(
                    -Math.cos(oa) * d,
                    -Math.sin(oa) * d,
                    rnd.nextDouble(Math.PI),
                    rnd.nextDouble(2.5, 4.0),
                    rnd.nextDouble(0.13, 0.18));
        }
        c.finishCell(0xA880AE);
    }

    // ---------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------

    /** Moves points so their centroid is at the origin and scales them to fit within a radius. */
    private static void centreAndFit(double[] xs, double[] ys, double maxRadius) {
        double mx = 0;
        double my = 0;
        for (int i = 0; i < xs.length; i++) {
            mx += xs[i];
            my += ys[i];
        }
        mx /= xs.length;
        my /= ys.length;
        double far = 0;
        for (int i = 0; i < xs.length; i++) {
            xs[i] -= mx;
            ys[i] -= my;
            far = Math.max(far, Math.hypot(xs[i], ys[i]));
        }
        if (far > maxRadius) {
            double k = maxRadius / far;
            for (int i = 0; i < xs.length; i++) {
                xs[i] *= k;
                ys[i] *= k;
            }
        }
    }

    /**
     * A thin chromatin strand between two points: a slender ellipse a little longer than the gap,
     * so its ends hide inside the lobes it joins. Ellipses all wind the same way, so a {@link
     * Path2D#WIND_NON_ZERO} path of them fills as their union without slow {@link Area} algebra.
     */
    static Shape strand(double x0, double y0, double x1, double y1, double halfWidth) {
        double len = Math.hypot(x1 - x0, y1 - y0);
        return ellipse(
                (x0 + x1) / 2, (y0 + y1) / 2, len * 0.6, halfWidth, Math.atan2(y1 - y0, x1 - x0));
    }

    static Shape ellipse(double x, double y, double a, double b, double angle) {
        Ellipse2D e = new Ellipse2D.Double(-a, -b, 2 * a, 2 * b);
        AffineTransform t = AffineTransform.getTranslateInstance(x, y);
        t.rotate(angle);
        return t.createTransformedShape(e);
    }

    /** Varies a colour's lightness by up to {@code amount} and its hue by a third of that. */
    static int jitter(SplittableRandom rnd, int rgb, int amount) {
        int common = rnd.nextInt(-amount, amount + 1);
        int hue = Math.max(1, amount / 3);
        int r = (rgb >> 16 & 0xff) + common + rnd.nextInt(-hue, hue + 1);
        int g = (rgb >> 8 & 0xff) + common + rnd.nextInt(-hue, hue + 1);
        int b = (rgb & 0xff) + common + rnd.nextInt(-hue, hue + 1);
        return CellCanvas.clamp(r, 0, 255) << 16
                | CellCanvas.clamp(g, 0, 255) << 8
                | CellCanvas.clamp(b, 0, 255);
    }

    /**
     * Per-slide staining: how strongly the dyes took ({@code intensity}) and a slight shift of the
     * balance between eosin (red) and methylene blue / azure (blue), applied to every colour.
     */
    record Stain(double intensity, double red, double green, double blue) {

        static Stain random(SplittableRandom rnd) {
            double warm = rnd.nextDouble(-0.05, 0.05);
            return new Stain(
                    rnd.nextDouble(0.88, 1.1),
                    1 - warm + rnd.nextDouble(-0.02, 0.02),
                    1 + rnd.nextDouble(-0.02, 0.02),
                    1 + warm + rnd.nextDouble(-0.02, 0.02));
        }

        int ink(int rgb) {
            return channel(rgb >> 16 & 0xff, red) << 16
                    | channel(rgb >> 8 & 0xff, green) << 8
                    | channel(rgb & 0xff, blue);
        }

        private int channel(int v, double gain) {
            return CellCanvas.clamp((int) Math.round(255 - (255 - v) * intensity * gain), 0, 255);
        }
    }

    /** Where the cell sits: local cell coordinates to world micrometres. */
    record Frame(double cx, double cy, double angle) {
        AffineTransform transform() {
            AffineTransform t = AffineTransform.getTranslateInstance(cx, cy);
            t.rotate(angle);
            return t;
        }

        double x(double u, double v) {
            return cx + Math.cos(angle) * u - Math.sin(angle) * v;
        }

        double y(double u, double v) {
            return cy + Math.sin(angle) * u + Math.cos(angle) * v;
        }
    }

    /**
     * A cell outline in local coordinates: radius {@code r0} micrometres, stretched along x by
     * {@code stretch} and made irregular by a few low harmonics.
     */
    record Body(double r0, double stretch, double[] amp, double[] phase) {

        static Body random(CellKind kind, SplittableRandom rnd) {
            double diameter;
            double maxStretch;
            double wobble;
            switch (kind) {
                case NEUTROPHIL -> {
                    diameter = rnd.nextDouble(11.0, 13.0);
                    maxStretch = 0.06;
                    wobble = 0.018;
                }
                case LYMPHOCYTE -> {
                    diameter = rnd.nextDouble(7.2, 9.2);
                    maxStretch = 0.07;
                    wobble = 0.015;
                }
                case MONOCYTE -> {
                    diameter = rnd.nextDouble(14.5, 17.5);
                    maxStretch = 0.1;
                    wobble = 0.035;
                }
                case EOSINOPHIL -> {
                    diameter = rnd.nextDouble(12.0, 14.0);
                    maxStretch = 0.06;
                    wobble = 0.018;
                }
                case BASOPHIL -> {
                    diameter = rnd.nextDouble(10.0, 12.0);
                    maxStretch = 0.06;
                    wobble = 0.03;
                }
                case BLAST -> {
                    diameter = rnd.nextDouble(13.5, 16.5);
                    maxStretch = 0.09;
                    wobble = 0.02;
                }
                case PROMYELOCYTE -> {
                    diameter = rnd.nextDouble(16.5, 19.5);
                    maxStretch = 0.07;
                    wobble = 0.025;
                }
                default -> throw new IllegalArgumentException(kind.toString());
            }
            double[] amp = new double[4];
            double[] phase = new double[4];
            for (int k = 0; k < 4; k++) {
                amp[k] = rnd.nextDouble(0, wobble) / (1 + k * 0.5);
                phase[k] = rnd.nextDouble(TAU);
            }
            return new Body(diameter / 2, rnd.nextDouble(0, maxStretch), amp, phase);
        }

        double radius(double theta) {
            double f = 1 + stretch * Math.cos(2 * theta);
            for (int k = 0; k < amp.length; k++) {
                f += amp[k] * Math.cos((k + 3) * theta + phase[k]);
            }
            return r0 * f;
        }

        double maxRadius() {
            double max = 0;
            for (int i = 0; i < 180; i++) {
                max = Math.max(max, radius(i * TAU / 180));
            }
            return max;
        }

        Path2D outline() {
            Path2D.Double p = new Path2D.Double();
            int n = 96;
            for (int i = 0; i < n; i++) {
                double t = i * TAU / n;
                double r = radius(t);
                if (i == 0) {
                    p.moveTo(r * Math.cos(t), r * Math.sin(t));
                } else {
                    p.lineTo(r * Math.cos(t), r * Math.sin(t));
                }
            }
            p.closePath();
            return p;
        }
    }

    /** The drawing state of one white cell: masks, stain and the local frame. */
    private static final class Cell {
        final CellCanvas canvas;
        final Stain stain;
        final SplittableRandom rnd;
        final Body body;
        final Frame frame;
        final float[] cellMask;
        float[] nucleusMask;
        float[] cellEdge;
        Shape nucleusLocal;

        Cell(CellCanvas canvas, Stain stain, SplittableRandom rnd, Body body, Frame frame) {
            this.canvas = canvas;
            this.stain = stain;
            this.rnd = rnd;
            this.body = body;
            this.frame = frame;
            this.cellMask =
                    canvas.coverage(frame.transform().createTransformedShape(body.outline()));
        }

        int radiusPx(double um) {
            return Math.max(1, (int) Math.round(um * canvas.scale()));
        }

        /** Fills the cell body, shading towards {@code rim} at the membrane. */
        void cytoplasm(int centre, int rim, double opacity) {
            cellEdge = CellCanvas.blurred(cellMask, canvas.size(), radiusPx(0.6));
            canvas.paintShaded(
                    cellMask,
                    cellEdge,
                    stain.ink(jitter(rnd, centre, 6)),
                    stain.ink(jitter(rnd, rim, 6)),
                    opacity);
        }

        /** Fine cytoplasmic texture: {@code density} dots per µm² of two colours. */
        void dust(
                double density,
                double rMin,
                double rMax,
                int dark,
                double darkAlpha,
                int light,
                double lightAlpha) {
            int n = (int) Math.round(density * Math.PI * body.r0() * body.r0());
            int d = stain.ink(dark);
            int l = stain.ink(light);
            for (int i = 0; i < n; i++) {
                double[] p = inside(0.97);
                boolean isDark = rnd.nextDouble() < 0.6;
                canvas.disc(
                        frame.x(p[0], p[1]),
                        frame.y(p[0], p[1]),
                        rnd.nextDouble(rMin, rMax),
                        isDark ? d : l,
                        isDark ? darkAlpha : lightAlpha,
                        0.3,
                        cellMask);
            }
        }

        /**
         * Low-frequency unevenness: soft blobs of a darker and a lighter shade, {@code density} per
         * µm² of cell, weighted by {@code mask}.
         */
        void mottle(
                float[] mask,
                double density,
                double rMin,
                double rMax,
                int dark,
                int light,
                double alpha) {
            int n = (int) Math.round(density * Math.PI * body.r0() * body.r0());
            int d = stain.ink(dark);
            int l = stain.ink(light);
            for (int i = 0; i < n; i++) {
                double[] p = inside(1.0);
                canvas.disc(
                        frame.x(p[0], p[1]),
                        frame.y(p[0], p[1]),
                        rnd.nextDouble(rMin, rMax),
                        rnd.nextBoolean() ? d : l,
                        alpha * rnd.nextDouble(0.4, 1.0),
                        1.0,
                        mask);
            }
        }

        /** Paints the nucleus with a darker membrane. */
        void nucleus(Shape local, int fill, int membrane) {
            nucleusLocal = local;
            nucleusMask = canvas.coverage(frame.transform().createTransformedShape(local));
            float[] edge = CellCanvas.blurred(nucleusMask, canvas.size(), radiusPx(0.35));
            canvas.paintShaded(
                    nucleusMask, edge, stain.ink(jitter(rnd, fill, 6)), stain.ink(membrane), 0.98);
        }

        /** Chromatin texture inside the nucleus: {@code density} dots per µm² of nucleus box. */
        void chromatin(
                double density,
                double rMin,
                double rMax,
                int dark,
                double darkAlpha,
                double darkShare,
                int light,
                double lightAlpha) {
            java.awt.geom.Rectangle2D box = nucleusLocal.getBounds2D();
            int n = (int) Math.round(density * box.getWidth() * box.getHeight());
            int d = stain.ink(dark);
            int l = stain.ink(light);
            for (int i = 0; i < n; i++) {
                double u = box.getX() + rnd.nextDouble() * box.getWidth();
                double v = box.getY() + rnd.nextDouble() * box.getHeight();
                boolean isDark = rnd.nextDouble() < darkShare;
                canvas.disc(
                        frame.x(u, v),
                        frame.y(u, v),
                        rnd.nextDouble(rMin, rMax),
                        isDark ? d : l,
                        (isDark ? darkAlpha : lightAlpha) * rnd.nextDouble(0.5, 1.0),
                        0.8,
                        nucleusMask);
            }
        }

        /** Short thin darker strands inside the nucleus (lacy chromatin). */
        void strands(double density, int color, double alpha) {
            java.awt.geom.Rectangle2D box = nucleusLocal.getBounds2D();
            int n = (int) Math.round(density * box.getWidth() * box.getHeight());
            int col = stain.ink(color);
            for (int i = 0; i < n; i++) {
                double u = box.getX() + rnd.nextDouble() * box.getWidth();
                double v = box.getY() + rnd.nextDouble() * box.getHeight();
                double dir = rnd.nextDouble(TAU);
                double len = rnd.nextDouble(0.4, 1.1);
                double u2 = u + Math.cos(dir) * len;
                double v2 = v + Math.sin(dir) * len;
                canvas.rod(
                        frame.x(u, v),
                        frame.y(u, v),
                        frame.x(u2, v2),
                        frame.y(u2, v2),
                        rnd.nextDouble(0.08, 0.14),
                        col,
                        alpha,
                        nucleusMask);
            }
        }

        void nucleolus(double u, double v, double r) {
            double x = frame.x(u, v);
            double y = frame.y(u, v);
            canvas.disc(x, y, r * 1.2, stain.ink(0x6A4A98), 0.5, 0.35, nucleusMask);
            canvas.disc(x, y, r, stain.ink(jitter(rnd, 0xBEB4E0, 6)), 0.9, 0.35, nucleusMask);
        }

        void softSpot(double u, double v, double r, int color, double alpha) {
            canvas.disc(frame.x(u, v), frame.y(u, v), r, stain.ink(color), alpha, 1.0, cellMask);
        }

        void vacuoles(int count, double rMin, double rMax, int color) {
            int col = stain.ink(color);
            int rim = stain.ink(0x9C9CC0);
            for (int i = 0; i < count; i++) {
                double[] p = inside(0.85);
                if (nucleusLocal.contains(p[0], p[1]) && rnd.nextDouble() < 0.7) {
                    continue;
                }
                double r = rnd.nextDouble(rMin, rMax);
                double x = frame.x(p[0], p[1]);
                double y = frame.y(p[0], p[1]);
                canvas.disc(x, y, r + 0.08, rim, 0.5, 0.2, cellMask);
                canvas.disc(x, y, r, col, 0.85, 0.3, cellMask);
            }
        }

        /**
         * Coarse granules, {@code density} per µm² of cell, of a few colours. Granules over the
         * nucleus are kept with probability {@code overNucleus}, and most of those inside the
         * circle ({@code avoidU}, {@code avoidV}, {@code avoidR}) are left out; {@code highlight}
         * is the opacity of a small refractile glint.
         */
        void granules(
                double density,
                double rMin,
                double rMax,
                int[] colors,
                double alpha,
                double overNucleus,
                double avoidU,
                double avoidV,
                double avoidR,
                double highlight) {
            int[] inks = new int[colors.length];
            for (int i = 0; i < colors.length; i++) {
                inks[i] = stain.ink(colors[i]);
            }
            int glint = stain.ink(0xFFE6D2);
            int n = (int) Math.round(density * Math.PI * body.r0() * body.r0());
            for (int i = 0; i < n; i++) {
                double[] p = inside(0.96);
                double r = rnd.nextDouble(rMin, rMax);
                int col = inks[rnd.nextInt(inks.length)];
                double a = alpha * rnd.nextDouble(0.8, 1.0);
                boolean onNucleus = nucleusLocal != null && nucleusLocal.contains(p[0], p[1]);
                if (onNucleus && rnd.nextDouble() >= overNucleus) {
                    continue;
                }
                if (avoidR > 0
                        && Math.hypot(p[0] - avoidU, p[1] - avoidV) < avoidR
                        && rnd.nextDouble() < 0.7) {
                    continue;
                }
                double x = frame.x(p[0], p[1]);
                double y = frame.y(p[0], p[1]);
                canvas.disc(x, y, r, col, onNucleus ? a * 0.8 : a, 0.25, cellMask);
                if (highlight > 0) {
                    canvas.disc(
                            x - r * 0.3, y - r * 0.3, r * 0.35, glint, highlight, 0.8, cellMask);
                }
            }
        }

        /** An Auer rod centred at local (u, v), direction in local radians. */
        void rod(double u, double v, double dir, double length, double halfWidth) {
            double du = Math.cos(dir) * length / 2;
            double dv = Math.sin(dir) * length / 2;
            canvas.rod(
                    frame.x(u - du, v - dv),
                    frame.y(u - du, v - dv),
                    frame.x(u + du, v + dv),
                    frame.y(u + du, v + dv),
                    halfWidth,
                    stain.ink(jitter(rnd, 0xB02A5A, 8)),
                    0.9,
                    cellMask);
        }

        /** A darker membrane line at the cell border. */
        void finishCell(int membrane) {
            // the outer part of the blurred edge of the cytoplasm step: a thin line at the border
            float[] rim = new float[cellMask.length];
            for (int i = 0; i < rim.length; i++) {
                float w = cellMask[i] * (0.8f - cellEdge[i]) * 3.3f;
                rim[i] = w < 0f ? 0f : w > 1f ? 1f : w;
            }
            canvas.paint(rim, stain.ink(membrane), 0.35);
        }

        /** A uniformly distributed point inside {@code fraction} of the outline, local µm. */
        double[] inside(double fraction) {
            double t = rnd.nextDouble(TAU);
            double r = Math.sqrt(rnd.nextDouble()) * fraction * body.radius(t);
            return new double[] {r * Math.cos(t), r * Math.sin(t)};
        }
    }
}
