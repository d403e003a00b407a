package org.bloomstream.devkit.synthetic;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.bloomstream.devkit.feed.CellKind;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.feed.SpecimenProfile;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;

/**
 * A deterministic fake scanner room: a number of specimens, scanned a few at a time, each sending
 * scan-started, its crops and scan-finished with the number of crops it emitted.
 *
 * <p>Specimens cycle through the {@link SpecimenProfile}s (four AML subtypes and control). The same
 * {@link Config} always gives the same ids, images and order. Crops are rendered lazily, so a long
 * run needs no memory for images not yet sent. A configurable fraction of crops is broken in one of
 * the {@link Emission.Defect} ways; the scanner still counts them as emitted, as a real scanner
 * would.
 */
public final class SyntheticScanner implements Iterable<Emission> {

    /**
     * What to simulate.
     *
     * @param seed everything random derives from it
     * @param specimens how many specimens
     * @param cellsPerSpecimen crops per specimen
     * @param cropSize crop edge in pixels
     * @param badFraction fraction of crops that are broken, in [0, 1)
     * @param concurrentScans how many specimens are being scanned at the same time (their crops
     *     interleave)
     * @param startTime capture time of the first crop
     * @param cropIntervalMillis capture time between consecutive crops of the whole room
     */
    public record Config(
            long seed,
            int specimens,
            int cellsPerSpecimen,
            int cropSize,
            double badFraction,
            int concurrentScans,
            Instant startTime,
            long cropIntervalMillis) {
        public Config {
            if (specimens < 1 || cellsPerSpecimen < 1 || concurrentScans < 1) {
                throw new IllegalArgumentException(
                        "specimens, cellsPerSpecimen and concurrentScans must be >= 1");
            }
            if (badFraction < 0 || badFraction >= 1) {
                throw new IllegalArgumentException("badFraction must be in [0, 1)");
            }
        }

        public static Config of(long seed, int specimens, int cellsPerSpecimen) {
            return new Config(
                    seed,
                    specimens,
                    cellsPerSpecimen,
                    128,
                    0.0,
                    4,
                    Instant.parse("2026-01-01T08:00:00Z"),
                    10);
        }

        public Config withBadFraction(double f) {
            return new Config(
                    seed,
                    specimens,
                    cellsPerSpecimen,
                    cropSize,
                    f,
                    concurrentScans,
                    startTime,
                    cropIntervalMillis);
        }

        public Config withStartTime(Instant t) {
            return new Config(
                    seed,
                    specimens,
                    cellsPerSpecimen,
                    cropSize,
                    badFraction,
                    concurrentScans,
                    t,
                    cropIntervalMillis);
        }
    }

    /**
     * A stain or colour shift on one scanner from some point of the run on: a new stain lot, a lamp
     * ageing, a white balance gone wrong. Each channel of that scanner's crops is scaled by its
     * gain (clamped to 0..255) before JPEG encoding; the cells themselves, their kinds and ids are
     * the same as without the shift.
     *
     * @param scannerId e.g. {@code synth-scanner-2}
     * @param afterCrops the shift applies once the room has emitted this many crops
     * @param red gain of the red channel (1 = unchanged)
     * @param green gain of the green channel
     * @param blue gain of the blue channel
     */
    public record StainShift(
            String scannerId, long afterCrops, double red, double green, double blue) {
        public StainShift {
            if (afterCrops < 0 || !(red >= 0 && green >= 0 && blue >= 0)) {
                throw new IllegalArgumentException("afterCrops and gains must be >= 0");
            }
        }

        /** A pinker, bluer stain: less green, more blue (eosin/haematoxylin balance moved). */
        public static StainShift pinkBlue(String scannerId, long afterCrops) {
            return new StainShift(scannerId, afterCrops, 1.1, 0.7, 1.25);
        }

        BufferedImage apply(BufferedImage in) {
            BufferedImage out =
                    new BufferedImage(in.getWidth(), in.getHeight(), BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < in.getHeight(); y++) {
                for (int x = 0; x < in.getWidth(); x++) {
                    int rgb = in.getRGB(x, y);
                    int r = gain((rgb >> 16) & 0xff, red);
                    int g = gain((rgb >> 8) & 0xff, green);
                    int b = gain(rgb & 0xff, blue);
                    out.setRGB(x, y, (r << 16) | (g << 8) | b);
                }
            }
            return out;
        }

        private static int gain(int v, double g) {
            return (int) Math.min(255, Math.round(v * g));
        }
    }

    private final Config config;
    private final StainShift stainShift;

    public SyntheticScanner(Config config) {
        this(config, null);
    }

    private SyntheticScanner(Config config, StainShift stainShift) {
        this.config = config;
        this.stainShift = stainShift;
    }

    /** The same room with one scanner's stain shifted from some point on (null: none). */
    public SyntheticScanner withStainShift(StainShift shift) {
        return new SyntheticScanner(config, shift);
    }

    public StainShift stainShift() {
        return stainShift;
    }

    public Config config() {
        return config;
    }

    /** The id of the i-th specimen (0-based). */
    public static String specimenId(long seed, int i) {
        return String.format("SYN%d-%04d", seed, i + 1);
    }

    /** The profile of every specimen, in order. */
    public Map<String, SpecimenProfile> specimens() {
        Map<String, SpecimenProfile> m = new LinkedHashMap<>();
        for (int i = 0; i < config.specimens(); i++) {
            m.put(specimenId(config.seed(), i), profileOf(i));
        }
        return m;
    }

    static SpecimenProfile profileOf(int specimenIndex) {
        SpecimenProfile[] all = SpecimenProfile.values();
        return all[specimenIndex % all.length];
    }

    /** Emissions in total: two scan events per specimen plus its crops. */
    public long totalEmissions() {
        return (long) config.specimens() * (config.cellsPerSpecimen() + 2);
    }

    public long totalCrops() {
        return (long) config.specimens() * config.cellsPerSpecimen();
    }

    @Override
    public Iterator<Emission> iterator() {
        return new Run();
    }

    /** Renders and encodes one crop as JPEG; also used to build reference sets. */
    public static byte[] renderJpeg(CellRenderer renderer, CellKind kind, long seed) {
        return jpeg(renderer.render(kind, seed));
    }

    /** As {@link #renderJpeg(CellRenderer, CellKind, long)} at a given JPEG quality (0..1). */
    public static byte[] renderJpeg(
            CellRenderer renderer, CellKind kind, long seed, float quality) {
        return jpeg(renderer.render(kind, seed), quality);
    }

    static byte[] jpeg(BufferedImage image) {
        return jpeg(image, 0.9f);
    }

    static byte[] jpeg(BufferedImage image, float quality) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 * 1024);
                MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), param);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
    }

    /** Per-specimen progress inside a run. */
    private final class Scan {
        final int index;
        final String specimenId;
        final String scanId;
        final String scannerId;
        final SpecimenProfile profile;
        final SplittableRandom random;
        int next = -1; // -1: not started; cellsPerSpecimen: all crops sent

        Scan(int index) {
            this.index = index;
            this.specimenId = specimenId(config.seed(), index);
            this.scanId = specimenId + "-scan1";
            this.scannerId = "synth-scanner-" + (index % config.concurrentScans() + 1);
            this.profile = profileOf(index);
            this.random = new SplittableRandom(config.seed() * 1_000_003L + index);
        }
    }

    private final class Run implements Iterator<Emission> {
        private final CellRenderer renderer = new CellRenderer(config.cropSize());
        private final Deque<Scan> active = new ArrayDeque<>();
        private int nextSpecimen = 0;
        private long sequence = 0;
        private long crops = 0;

        Run() {
            while (active.size() < config.concurrentScans() && nextSpecimen < config.specimens()) {
                active.add(new Scan(nextSpecimen++));
            }
        }

        @Override
        public boolean hasNext() {
            return !active.isEmpty();
        }

        @Override
        public Emission next() {
            Scan scan = active.pollFirst();
            if (scan == null) {
                throw new NoSuchElementException();
            }
            Instant time = config.startTime().plusMillis(sequence++ * config.cropIntervalMillis());
            Emission e;
            if (scan.next < 0) {
                scan.next = 0;
                e = scanEvent(scan, ScanEventType.STARTED, null, time, Emission.Type.SCAN_STARTED);
            } else if (scan.next < config.cellsPerSpecimen()) {
                e = crop(scan, scan.next++, time);
            } else {
                e =
                        scanEvent(
                                scan,
                                ScanEventType.FINISHED,
                                config.cellsPerSpecimen(),
                                time,
                                Emission.Type.SCAN_FINISHED);
                if (nextSpecimen < config.specimens()) {
                    active.addLast(new Scan(nextSpecimen++));
                }
                return e;
            }
            active.addLast(scan);
            return e;
        }

        private Emission scanEvent(
                Scan scan, ScanEventType type, Integer expected, Instant time, Emission.Type t) {
            ScanEvent ev =
                    new ScanEvent(
                            scan.scanId, scan.specimenId, scan.scannerId, type, time, expected);
            return new Emission(t, scan.specimenId, scan.profile, null, ev, null, null, null);
        }

        private Emission crop(Scan scan, int n, Instant time) {
            CellKind kind = scan.profile.sample(scan.random);
            long imageSeed = scan.random.nextLong();
            boolean bad = scan.random.nextDouble() < config.badFraction();
            String cellId = scan.specimenId + "-c" + String.format("%05d", n + 1);
            boolean shifted =
                    stainShift != null
                            && crops >= stainShift.afterCrops()
                            && scan.scannerId.equals(stainShift.scannerId());
            crops++;
            BufferedImage image = renderer.render(kind, imageSeed);
            byte[] jpeg = jpeg(shifted ? stainShift.apply(image) : image);
            CellCrop crop =
                    CellCrop.newBuilder()
                            .setCellId(cellId)
                            .setSpecimenId(scan.specimenId)
                            .setScanId(scan.scanId)
                            .setScannerId(scan.scannerId)
                            .setCaptureTime(time)
                            .setImage(ByteBuffer.wrap(jpeg))
                            .setEncoding(ImageEncoding.JPEG)
                            .setWidth(config.cropSize())
                            .setHeight(config.cropSize())
                            .setMicronsPerPixel(0.1)
                            .setReferenceLabel(kind.label())
                            .build();
            if (!bad) {
                return new Emission(
                        Emission.Type.CROP,
                        scan.specimenId,
                        scan.profile,
                        kind,
                        null,
                        crop,
                        null,
                        null);
            }
            Emission.Defect[] defects = Emission.Defect.values();
            Emission.Defect defect = defects[scan.random.nextInt(defects.length)];
            byte[] raw = null;
            switch (defect) {
                case EMPTY_IMAGE -> crop.setImage(ByteBuffer.wrap(new byte[0]));
                case TRUNCATED_JPEG ->
                        crop.setImage(ByteBuffer.wrap(Arrays.copyOf(jpeg, jpeg.length / 2)));
                case NOT_AN_IMAGE ->
                        crop.setImage(
                                ByteBuffer.wrap(
                                        ("this is not an image " + cellId)
                                                .getBytes(StandardCharsets.UTF_8)));
                case NOT_AVRO ->
                        raw = ("{\"cellId\":\"" + cellId + "\"}").getBytes(StandardCharsets.UTF_8);
            }
            return new Emission(
                    Emission.Type.BAD_CROP,
                    scan.specimenId,
                    scan.profile,
                    kind,
                    null,
                    crop,
                    raw,
                    defect);
        }
    }

    /** All emissions of a run, materialised (for tests and small runs). */
    public List<Emission> toList() {
        List<Emission> out = new ArrayList<>();
        forEach(out::add);
        return out;
    }
}
