package org.bloomstream.bench;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.bloomstream.devkit.embedded.EmbeddedRuntime;
import org.bloomstream.devkit.feed.CellKind;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.synthetic.CellRenderer;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.job.JobConfig;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;

/**
 * What the job benchmarks share: realistic crops, feeds, and an embedded runtime to run them on.
 */
final class BenchKit {
    private BenchKit() {}

    /**
     * Distinct JPEG crops of about the given size: synthetic cells rendered at 320 px, quality
     * 0.95, which averages 20 KB (a real scanner's crop of a white cell is 15-40 KB). Rendering is
     * done before the clock starts.
     */
    static List<byte[]> crops(int count, int edge, float quality) {
        CellRenderer renderer = new CellRenderer(edge);
        CellKind[] kinds = CellKind.values();
        List<byte[]> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(SyntheticScanner.renderJpeg(renderer, kinds[i % kinds.length], i, quality));
        }
        return out;
    }

    static double meanKb(List<byte[]> crops) {
        return crops.stream().mapToInt(b -> b.length).average().orElse(0) / 1024;
    }

    /**
     * Specimens of {@code perSpecimen} crops (cycling through {@code images}), with scan events.
     */
    static List<Emission> feed(
            String prefix, long crops, int perSpecimen, List<byte[]> images, int edge) {
        List<Emission> feed = new ArrayList<>();
        Instant t = Instant.now();
        for (long start = 0; start < crops; start += perSpecimen) {
            String specimen = String.format("%s-%05d", prefix, start / perSpecimen);
            int n = (int) Math.min(perSpecimen, crops - start);
            feed.add(event(specimen, ScanEventType.STARTED, null, t));
            for (int i = 0; i < n; i++) {
                feed.add(
                        crop(
                                specimen,
                                i,
                                images.get((int) ((start + i) % images.size())),
                                edge,
                                t));
            }
            feed.add(event(specimen, ScanEventType.FINISHED, n, t));
        }
        return feed;
    }

    /** The {@code i}-th crop of a specimen, as a scanner sends it. */
    static Emission crop(String specimen, int i, byte[] jpeg, int edge, Instant t) {
        CellCrop crop =
                CellCrop.newBuilder()
                        .setCellId(specimen + "-c" + i)
                        .setSpecimenId(specimen)
                        .setScanId(specimen + "-scan")
                        .setScannerId("bench")
                        .setCaptureTime(t)
                        .setImage(ByteBuffer.wrap(jpeg))
                        .setEncoding(ImageEncoding.JPEG)
                        .setWidth(edge)
                        .setHeight(edge)
                        .build();
        return new Emission(Emission.Type.CROP, specimen, null, null, null, crop, null, null);
    }

    static Emission event(String specimen, ScanEventType type, Integer n, Instant t) {
        return new Emission(
                type == ScanEventType.STARTED
                        ? Emission.Type.SCAN_STARTED
                        : Emission.Type.SCAN_FINISHED,
                specimen,
                null,
                null,
                new ScanEvent(specimen + "-scan", specimen, "bench", type, t, n),
                null,
                null,
                null);
    }

    /** The demo's job configuration with the benchmark's changes applied. */
    static EmbeddedRuntime start(
            Path home, Path workDir, UnaryOperator<JobConfig.Builder> tweak, int metricsPort)
            throws Exception {
        Files.createDirectories(workDir);
        return EmbeddedRuntime.start(
                new EmbeddedRuntime.Options(
                        4,
                        b ->
                                tweak.apply(
                                                JobConfig.defaults(b).toBuilder()
                                                        .embedderModel(
                                                                home.resolve(
                                                                        JobConfig.FIXTURE_EMBEDDER))
                                                        .head(
                                                                home.resolve(
                                                                        JobConfig
                                                                                .FIXTURE_CELL_HEAD))
                                                        .milModel(
                                                                home.resolve(JobConfig.FIXTURE_MIL))
                                                        .checkpointInterval(Duration.ofSeconds(1))
                                                        .transactionalIdPrefix(
                                                                "bench-" + System.nanoTime()))
                                        .build(),
                        false,
                        workDir,
                        metricsPort));
    }

    /** Nearest-rank percentile of sorted values. */
    static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
