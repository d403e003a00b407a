package org.bloomstream.inference.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.bloomstream.inference.Fixtures;
import org.bloomstream.inference.image.AntialiasedResize;
import org.bloomstream.inference.image.CropImageDecoder;
import org.bloomstream.inference.image.CropRejectedException;
import org.bloomstream.inference.image.ImageLimits;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Resize in the graph: the preprocessing graph is Pillow bit for bit, and the embeddings of the
 * merged graph equal those of the Pillow (CPU) path on every image of every shared data set.
 */
class ResizeGraphTest {
    static final int S = 224;

    @Test
    void theGraphsResizeIsPillowsBitForBit() throws Exception {
        OrtEnvironment env = ExecutionProviders.environment();
        int[][] sizes = {
            {120, 120}, {316, 316}, {360, 363}, {224, 224}, {50, 400}, {300, 224}, {600, 90}, {7, 5}
        };
        Random rnd = new Random(42);
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                OrtSession session = env.createSession(ResizeGraph.standalone(S), o)) {
            for (int[] hw : sizes) {
                int h = hw[0];
                int w = hw[1];
                int n = 2;
                byte[][] crops = new byte[n][h * w * 3];
                for (byte[] c : crops) {
                    // smooth gradients plus noise: exercises rounding near .5 and the 0/255 ends
                    for (int i = 0; i < c.length; i++) {
                        int px = i / 3;
                        int v = (px % w) * 255 / Math.max(1, w - 1) + rnd.nextInt(64) - 32;
                        c[i] = (byte) Math.max(0, Math.min(255, v));
                    }
                }
                // The graph takes BGR (the JPEG decoder's layout) and gives RGB.
                byte[] out = runStandalone(env, session, crops, h, w);
                for (int k = 0; k < n; k++) {
                    byte[] pillow = AntialiasedResize.resize(swapRedBlue(crops[k]), w, h, S, S);
                    int mismatches = 0;
                    for (int c = 0; c < 3; c++) {
                        for (int i = 0; i < S * S; i++) {
                            if (out[(k * 3 + c) * S * S + i] != pillow[3 * i + c]) {
                                mismatches++;
                            }
                        }
                    }
                    assertThat(mismatches).as("%dx%d crop %d", h, w, k).isZero();
                }
            }
        }
    }

    @Test
    void embeddingsMatchThePillowPathOnEveryImageOfEverySharedDataSet() throws Exception {
        Path data = Fixtures.repoRoot().getParent().resolve("shared/data");
        List<Path> sets = new ArrayList<>();
        if (Files.isDirectory(data)) {
            try (Stream<Path> s = Files.list(data)) {
                s.filter(d -> Files.isDirectory(d.resolve("images"))).sorted().forEach(sets::add);
            }
        }
        Assumptions.assumeFalse(
                sets.isEmpty(), "SKIPPED: no data sets under " + data + " (../shared/data)");
        CropImageDecoder decoder = new CropImageDecoder(ImageLimits.DEFAULT);
        List<String> failures = new ArrayList<>();
        try (OnnxEmbedder e = OnnxEmbedder.open(Fixtures.tinyVit(), ExecutionConfig.cpu(1), true)) {
            assertThat(e.resizesInGraph()).isTrue();
            for (Path set : sets) {
                List<Path> files;
                try (Stream<Path> s = Files.walk(set.resolve("images"))) {
                    files = s.filter(Files::isRegularFile).sorted().toList();
                }
                // Crops grouped by source size, as the micro-batcher groups them.
                Map<String, List<byte[]>> bySize = new LinkedHashMap<>();
                Map<String, List<byte[]>> bgrBySize = new LinkedHashMap<>();
                Map<String, List<Path>> names = new LinkedHashMap<>();
                int decoded = 0;
                for (Path f : files) {
                    var img = decodeOrNull(decoder, Files.readAllBytes(f));
                    if (img == null) {
                        continue;
                    }
                    decoded++;
                    String key = img.getHeight() + "x" + img.getWidth();
                    bySize.computeIfAbsent(key, k -> new ArrayList<>())
                            .add(AntialiasedResize.rgbBytes(img));
                    bgrBySize
                            .computeIfAbsent(key, k -> new ArrayList<>())
                            .add(AntialiasedResize.bgrBytes(img));
                    names.computeIfAbsent(key, k -> new ArrayList<>()).add(f);
                }
                double worst = 0;
                String worstFile = "";
                for (var entry : bySize.entrySet()) {
                    String[] hw = entry.getKey().split("x");
                    int h = Integer.parseInt(hw[0]);
                    int w = Integer.parseInt(hw[1]);
                    List<byte[]> crops = entry.getValue();
                    List<byte[]> bgr = bgrBySize.get(entry.getKey());
                    // A crop at the model's size is emitted resized (RGB) by the decoder.
                    boolean modelSize = w == S && h == S;
                    for (int from = 0; from < crops.size(); from += 8) {
                        int n = Math.min(8, crops.size() - from);
                        byte[][] raw = new byte[n][];
                        byte[][] resized = new byte[n][];
                        for (int i = 0; i < n; i++) {
                            raw[i] = modelSize ? crops.get(from + i) : bgr.get(from + i);
                            resized[i] = AntialiasedResize.resize(crops.get(from + i), w, h, S, S);
                        }
                        float[][] pillow = e.run(e.pack(resized, n, S, S));
                        float[][] graph = e.run(e.pack(raw, n, w, h));
                        for (int i = 0; i < n; i++) {
                            for (int d = 0; d < e.dim(); d++) {
                                double diff = Math.abs(pillow[i][d] - graph[i][d]);
                                if (diff > worst) {
                                    worst = diff;
                                    worstFile = names.get(entry.getKey()).get(from + i).toString();
                                }
                            }
                        }
                    }
                }
                System.out.printf(
                        Locale.ROOT,
                        "%-24s images %4d, decoded %4d, source sizes %3d, max |graph - Pillow|"
                                + " %.2e %s%n",
                        set.getFileName(),
                        files.size(),
                        decoded,
                        bySize.size(),
                        worst,
                        worstFile);
                if (decoded == 0) {
                    failures.add(set.getFileName() + ": nothing decoded");
                }
                if (!(worst < 1e-4)) {
                    failures.add(set.getFileName() + ": max diff " + worst + " at " + worstFile);
                }
            }
        }
        assertThat(failures).isEmpty();
    }

    private static byte[] swapRedBlue(byte[] px) {
        byte[] out = px.clone();
        for (int i = 0; i < out.length; i += 3) {
            out[i] = px[i + 2];
            out[i + 2] = px[i];
        }
        return out;
    }

    private static java.awt.image.BufferedImage decodeOrNull(CropImageDecoder d, byte[] bytes) {
        try {
            return d.decode(bytes);
        } catch (CropRejectedException e) {
            return null; // the sets hold a few files the pipeline rejects on purpose
        }
    }

    /** Runs the standalone graph; returns uint8 NCHW [n, 3, S, S]. */
    static byte[] runStandalone(
            OrtEnvironment env, OrtSession session, byte[][] crops, int h, int w) throws Exception {
        int n = crops.length;
        ByteBuffer raw = ByteBuffer.allocateDirect(n * h * w * 3);
        for (byte[] c : crops) {
            raw.put(c);
        }
        raw.flip();
        double[][] m = ResizeGraph.matrices(h, w, S);
        try (OnnxTensor x =
                        OnnxTensor.createTensor(
                                env, raw, new long[] {n, h, w, 3}, OnnxJavaType.UINT8);
                OnnxTensor rows =
                        OnnxTensor.createTensor(env, DoubleBuffer.wrap(m[0]), new long[] {S, h});
                OnnxTensor cols =
                        OnnxTensor.createTensor(env, DoubleBuffer.wrap(m[1]), new long[] {w, S});
                OrtSession.Result r =
                        session.run(
                                Map.of(
                                        ResizeGraph.RAW,
                                        x,
                                        ResizeGraph.ROWS,
                                        rows,
                                        ResizeGraph.COLS,
                                        cols))) {
            ByteBuffer out = ((OnnxTensor) r.get(0)).getByteBuffer();
            byte[] b = new byte[out.remaining()];
            out.get(b);
            return b;
        }
    }
}
