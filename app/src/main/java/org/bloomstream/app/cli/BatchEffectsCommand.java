package org.bloomstream.app.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.bloomstream.job.cli.EmbedderOptions;
import org.bloomstream.modeltools.batcheffects.BatchEffects;
import org.bloomstream.modeltools.batcheffects.BatchMap;
import org.bloomstream.modeltools.embed.EmbedRun;
import org.bloomstream.modeltools.embed.EmbeddingsFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bloomstream batch-effects DIR...}: how strongly embeddings separate by data set. */
@Command(
        name = "batch-effects",
        mixinStandardHelpOptions = true,
        description = {
            "Compares the embeddings of several data sets: batch effect against cell type.",
            "",
            "Each input is a folder of crops (embedded here, with the pipeline's own decode,"
                    + " resize and model) or the output prefix X of 'bloomstream embed' (X.npy,"
                    + " X.csv, X.json). Prints, as Markdown: silhouette by data set and by cell"
                    + " type, the kNN batch-mixing rate (share of the 10 nearest neighbours from"
                    + " another data set, against the share if sets were perfectly mixed), and"
                    + " MMD^2 between sets with the live drift watch's kernel. Writes OUT.png, a"
                    + " PCA map coloured by data set and by cell type, and OUT.md, the table.",
            "",
            "Labels are harmonised: peripheral-5 codes where the built-in vocabularies map a"
                    + " label there (NGS and neutrophil meet), else the label in lower case. All"
                    + " inputs must come from one embedding model."
        })
final class BatchEffectsCommand implements Callable<Integer> {
    @Parameters(
            arity = "2..*",
            paramLabel = "DIR|X",
            description = "Two or more crop folders or 'embed' outputs.")
    List<Path> inputs;

    @Option(
            names = "--out",
            paramLabel = "OUT",
            defaultValue = "batch-effects",
            description = "Output prefix (default: ${DEFAULT-VALUE} -> .png and .md).")
    Path out;

    @Option(
            names = "--batch-size",
            defaultValue = "32",
            description = "Crops per model call when embedding (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--embeddings-dir",
            paramLabel = "DIR",
            description =
                    "Keep the embeddings of folder inputs here, as 'embed' writes them (NAME.npy,"
                            + " .csv, .json), to pass them instead of the folders next time"
                            + " (default: a temporary directory, deleted at the end).")
    Path embeddingsDir;

    @Mixin EmbedderOptions embedder = new EmbedderOptions();

    @Override
    public Integer call() throws Exception {
        Path work =
                embeddingsDir != null
                        ? Files.createDirectories(embeddingsDir)
                        : Files.createTempDirectory("bloomstream-batch-effects");
        try {
            report(work);
        } finally {
            if (embeddingsDir == null) {
                try (var files = Files.walk(work)) {
                    files.sorted(java.util.Comparator.reverseOrder())
                            .forEach(p -> p.toFile().delete());
                }
            }
        }
        return 0;
    }

    private void report(Path work) throws Exception {
        List<String> sets = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        List<float[]> rows = new ArrayList<>();
        String model = null;
        for (Path in : inputs) {
            Path prefix = embedded(in) ? in : embed(in, work);
            EmbeddingsFile.Contents c = EmbeddingsFile.read(prefix);
            if (model != null && !model.equals(c.modelId())) {
                throw new IllegalArgumentException(
                        in + " was embedded with " + c.modelId() + ", the others with " + model);
            }
            model = c.modelId();
            String name = name(in);
            for (int i = 0; i < c.vectors().length; i++) {
                sets.add(name);
                labels.add(c.rows().get(i).label());
                rows.add(c.vectors()[i]);
            }
        }
        List<BatchEffects.Cell> cells =
                BatchEffects.cells(sets, labels, rows.toArray(new float[0][]));
        BatchEffects.Result r = BatchEffects.compute(cells);
        String table = r.table();
        String heading =
                String.format(
                        Locale.ROOT,
                        "Batch effects: %d cells from %d data sets, model %s%n%n",
                        cells.size(),
                        r.datasets().size(),
                        model);
        System.out.print(heading + table);
        Path md = out.resolveSibling(out.getFileName() + ".md");
        Path png = out.resolveSibling(out.getFileName() + ".png");
        Files.writeString(md, heading + table);
        BatchMap.write(
                cells,
                BatchEffects.pca2(cells),
                "PCA of " + cells.size() + " embeddings (" + model + ")",
                String.format(
                        Locale.ROOT,
                        "silhouette by data set %.3f, by cell type %.3f; kNN mixing %.2f of"
                                + " the %.2f expected if mixed",
                        r.silhouetteByDataset(),
                        r.silhouetteByLabel(),
                        r.mixing(),
                        r.mixingExpected()),
                png);
        System.out.printf("wrote %s and %s%n", png, md);
    }

    private static boolean embedded(Path in) {
        String f = in.getFileName().toString();
        return f.endsWith(".npy")
                || (!Files.isDirectory(in) && Files.isRegularFile(EmbeddingsFile.npy(in)));
    }

    /** The data set's name: the folder's, or the embed prefix's file name. */
    private static String name(Path in) {
        String f = in.toAbsolutePath().normalize().getFileName().toString();
        return f.endsWith(".npy") ? f.substring(0, f.length() - 4) : f;
    }

    private Path embed(Path dir, Path work) throws Exception {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is neither a folder nor an embed output");
        }
        Path prefix = work.resolve(name(dir));
        int cores = Runtime.getRuntime().availableProcessors();
        new EmbedRun(
                        new EmbedRun.Options(
                                dir,
                                prefix,
                                embedder.modelPath(),
                                embedder.execution(1, batchSize),
                                batchSize,
                                cores),
                        System.err)
                .run();
        return prefix;
    }
}
