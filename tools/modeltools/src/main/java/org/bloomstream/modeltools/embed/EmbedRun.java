package org.bloomstream.modeltools.embed;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.bloomstream.inference.image.AlphaPolicy;
import org.bloomstream.inference.image.AntialiasedResize;
import org.bloomstream.inference.image.CropImageDecoder;
import org.bloomstream.inference.image.CropRejectedException;
import org.bloomstream.inference.image.ImageLimits;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.model.OnnxEmbedder;
import org.bloomstream.modeltools.dataset.CropDataset;

/**
 * Embeds every crop of a folder with the pipeline's own decode, resize and model code, in batches,
 * decoding the next batch on worker threads while the model runs on this one. Crops that cannot be
 * decoded are listed with their reason, never silently skipped.
 */
public final class EmbedRun {

    /**
     * @param dir the crop folder (see {@link CropDataset} for layouts)
     * @param out output prefix: {@code out.npy}, {@code out.csv}, {@code out.json}
     * @param model the embedder ONNX file
     * @param execution where it runs
     * @param batchSize crops per model call
     * @param decodeThreads threads decoding and resizing ahead of the model
     * @param alpha what becomes of alpha channels (the reference's {@link AlphaPolicy#DROP} unless
     *     a lab chooses otherwise); recorded in {@code out.json} as {@code alphaPolicy}
     */
    public record Options(
            Path dir,
            Path out,
            Path model,
            ExecutionConfig execution,
            int batchSize,
            int decodeThreads,
            AlphaPolicy alpha) {

        /** Options with the reference's alpha policy. */
        public Options(
                Path dir,
                Path out,
                Path model,
                ExecutionConfig execution,
                int batchSize,
                int decodeThreads) {
            this(dir, out, model, execution, batchSize, decodeThreads, AlphaPolicy.DROP);
        }
    }

    /** What was written. */
    public record Result(int embedded, int failed, String modelId, int dim, double seconds) {}

    private record Decoded(CropDataset.Entry entry, byte[] rgb, CropRejectedException error) {}

    private final Options options;
    private final PrintStream progress;

    public EmbedRun(Options options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
    }

    public Result run() throws Exception {
        long t0 = System.nanoTime();
        CropDataset dataset = CropDataset.open(options.dir());
        List<CropDataset.Entry> entries = dataset.entries();
        progress.printf(
                "%d crops in %s (%s layout)%n",
                entries.size(), dataset.root(), dataset.layout().name().toLowerCase());
        List<EmbeddingsFile.Row> rows = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        List<String[]> errors = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, options.decodeThreads()));
        try (OnnxEmbedder embedder = OnnxEmbedder.open(options.model(), options.execution())) {
            progress.printf(
                    "model %s (%d dims) on %s, batches of %d%n",
                    embedder.modelId(), embedder.dim(), embedder.provider(), options.batchSize());
            CropImageDecoder decoder = new CropImageDecoder(ImageLimits.DEFAULT, options.alpha());
            int size = embedder.imageSize();
            ProgressBar bar = new ProgressBar(progress, "embedding", entries.size());
            List<Future<Decoded>> next = submit(pool, decoder, size, entries, 0);
            for (int start = 0; start < entries.size(); start += options.batchSize()) {
                List<Future<Decoded>> current = next;
                next = submit(pool, decoder, size, entries, start + options.batchSize());
                List<Decoded> ok = new ArrayList<>();
                for (Future<Decoded> f : current) {
                    Decoded d = f.get();
                    if (d.error() != null) {
                        errors.add(
                                new String[] {
                                    d.entry().relative(),
                                    d.error().reason().name(),
                                    d.error().getMessage()
                                });
                    } else {
                        ok.add(d);
                    }
                }
                if (!ok.isEmpty()) {
                    byte[][] pixels = ok.stream().map(Decoded::rgb).toArray(byte[][]::new);
                    float[][] e = embedder.embed(pixels, pixels.length);
                    for (int i = 0; i < ok.size(); i++) {
                        CropDataset.Entry en = ok.get(i).entry();
                        rows.add(
                                new EmbeddingsFile.Row(
                                        en.relative(), en.relative(), en.label(), en.group()));
                        vectors.add(e[i]);
                    }
                }
                bar.update(Math.min(start + options.batchSize(), entries.size()));
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("source", dataset.root().toString());
            extra.put("layout", dataset.layout().name());
            extra.put("failed", errors.size());
            extra.put("provider", embedder.provider());
            // Which decoding made these vectors: alpha dropped (Pillow's convert("RGB"), the
            // reference) or composited on white.
            extra.put("alphaPolicy", decoder.alphaPolicy().name().toLowerCase(Locale.ROOT));
            EmbeddingsFile.write(
                    options.out(), embedder.modelId(), embedder.dim(), rows, vectors, extra);
            if (!errors.isEmpty()) {
                try (CSVPrinter w =
                        new CSVPrinter(
                                Files.newBufferedWriter(EmbeddingsFile.errors(options.out())),
                                CSVFormat.DEFAULT
                                        .builder()
                                        .setHeader("path", "reason", "detail")
                                        .setRecordSeparator('\n')
                                        .get())) {
                    for (String[] e : errors) {
                        w.printRecord((Object[]) e);
                    }
                }
            } else {
                Files.deleteIfExists(EmbeddingsFile.errors(options.out()));
            }
            return new Result(
                    rows.size(), errors.size(), embedder.modelId(), embedder.dim(), seconds);
        } finally {
            pool.shutdownNow();
        }
    }

    private List<Future<Decoded>> submit(
            ExecutorService pool,
            CropImageDecoder decoder,
            int size,
            List<CropDataset.Entry> entries,
            int start) {
        List<Future<Decoded>> futures = new ArrayList<>();
        int end = Math.min(start + options.batchSize(), entries.size());
        for (int i = start; i < end; i++) {
            CropDataset.Entry e = entries.get(i);
            futures.add(pool.submit(() -> decode(decoder, size, e)));
        }
        return futures;
    }

    private static Decoded decode(CropImageDecoder decoder, int size, CropDataset.Entry e)
            throws IOException {
        try {
            byte[] rgb =
                    AntialiasedResize.resizeToRgb(
                            decoder.decode(Files.readAllBytes(e.path())), size, size);
            return new Decoded(e, rgb, null);
        } catch (CropRejectedException ex) {
            return new Decoded(e, null, ex);
        }
    }
}
