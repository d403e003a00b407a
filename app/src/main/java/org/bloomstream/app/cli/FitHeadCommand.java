package org.bloomstream.app.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bloomstream.inference.drift.DriftProfile;
import org.bloomstream.inference.typing.CellTypeHead;
import org.bloomstream.inference.typing.KnnHead;
import org.bloomstream.inference.typing.UnknownPolicy;
import org.bloomstream.inference.vocabulary.Vocabulary;
import org.bloomstream.modeltools.embed.EmbeddingsFile;
import org.bloomstream.modeltools.heads.HeadFitter;
import org.bloomstream.modeltools.heads.LabelledEmbeddings;
import org.bloomstream.modeltools.heads.LinearProbe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bloomstream fit-head}: a cell-type head from labelled embeddings. */
@Command(
        name = "fit-head",
        mixinStandardHelpOptions = true,
        description = {
            "Fits a cell-type head on labelled embeddings and writes it as one file.",
            "",
            "Embeddings come from 'bloomstream embed DIR --out X' (X.npy, X.csv, "
                    + "X.json). Labels come from X.csv (the folder's own labels) or from "
                    + "--labels: a CSV with a header, a 'label' column and a key column, "
                    + "'cell_id' or 'path', matched against X.csv (an optional 'group' column "
                    + "is kept as provenance). The head records its classes, the embedding "
                    + "model id and dims; the pipeline refuses it for another embedder.",
            "",
            "  knn     majority vote of the k nearest, by --metric: cosine (default) or",
            "          euclidean (scikit-learn's default kNN, as in DinoBloom's evaluation)",
            "  linear  multinomial logistic regression on standardised embeddings (Tribuo;",
            "          bloomstream's own probe, not the paper's L-BFGS one)",
            "  nearest-centroid  the walking skeleton's head"
        })
final class FitHeadCommand implements Callable<Integer> {
    @Option(
            names = "--embeddings",
            required = true,
            paramLabel = "X",
            description = "Embeddings written by 'bloomstream embed' (X, X.npy or X.csv).")
    Path embeddings;

    @Option(
            names = "--labels",
            paramLabel = "CSV",
            description =
                    "Labels: header with label and cell_id or path (default: the labels in"
                            + " X.csv).")
    Path labels;

    @Option(names = "--kind", required = true, description = "knn, linear or nearest-centroid.")
    String kind;

    @Option(names = "--out", required = true, paramLabel = "HEAD", description = "Head file.")
    Path out;

    @Option(
            names = "--k",
            defaultValue = "20",
            description = "kNN: neighbours that vote (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(
            names = "--metric",
            defaultValue = "cosine",
            description = "kNN: cosine or euclidean (default: ${DEFAULT-VALUE}).")
    String metric;

    @Option(
            names = "--vocabulary",
            paramLabel = "ID|FILE",
            description =
                    "Check and normalise labels against a vocabulary (peripheral-5,"
                            + " matek-2018-15, bone-marrow-21, or a file); the head's classes"
                            + " become its codes, in its order (default: the labels as written).")
    String vocabulary;

    @Option(
            names = "--map-to",
            paramLabel = "ID|FILE",
            description =
                    "Map the --vocabulary classes into this vocabulary first (e.g. Matek's 15"
                            + " to peripheral-5); cells without a counterpart are left out.")
    String mapTo;

    @Option(
            names = "--min-confidence",
            defaultValue = "0.5",
            description =
                    "Recorded threshold: a cell is 'unknown' when its top probability is below"
                            + " this; 0 disables (default: ${DEFAULT-VALUE}).")
    double minConfidence;

    @Option(
            names = "--similarity-quantile",
            defaultValue = "0.01",
            paramLabel = "Q|off",
            description =
                    "Recorded out-of-distribution threshold: this quantile of the fitting cells'"
                            + " similarity to their nearest reference (leave-one-out for knn);"
                            + " 'off' disables (default: ${DEFAULT-VALUE}).")
    String similarityQuantile;

    @Option(
            names = "--head-id",
            description = "Id carried on every classified cell (default: KIND-X-MODEL).")
    String headId;

    @Option(
            names = "--epochs",
            defaultValue = "100",
            description = "linear: passes over the cells (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(
            names = "--learning-rate",
            defaultValue = "0.1",
            description = "linear: AdaGrad's initial learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(
            names = "--l2",
            description =
                    "linear: L2 penalty lambda (default: 100 / (dims * classes), the strength"
                            + " DinoBloom's evaluation code uses).")
    Double l2;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "linear: shuffling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        HeadFitter.Kind kindValue = HeadFitter.Kind.parse(kind);
        if (mapTo != null && vocabulary == null) {
            throw new IllegalArgumentException("--map-to needs --vocabulary (the labels' own)");
        }
        double quantile =
                similarityQuantile.equalsIgnoreCase("off")
                        ? Double.NaN
                        : Double.parseDouble(similarityQuantile);
        if (!Double.isNaN(quantile) && !(quantile >= 0 && quantile <= 1)) {
            throw new IllegalArgumentException("--similarity-quantile must be in [0, 1] or off");
        }
        LabelledEmbeddings data = LabelledEmbeddings.load(embeddings, labels);
        if (vocabulary != null) {
            data =
                    data.inVocabulary(
                            Vocabulary.resolve(vocabulary),
                            mapTo != null ? Vocabulary.resolve(mapTo) : null);
        }
        Path npy = EmbeddingsFile.npy(embeddings).toAbsolutePath();
        String stem = npy.getFileName().toString().replace(".npy", "");
        if (stem.equals("embeddings") && npy.getParent() != null) {
            stem = npy.getParent().getFileName().toString(); // evaluate's output folder
        }
        String id = headId != null ? headId : kindValue.label + "-" + stem + "-" + data.modelId();
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("fittedBy", "bloomstream fit-head");
        prov.put("embeddings", EmbeddingsFile.npy(embeddings).toAbsolutePath().toString());
        if (labels != null) {
            prov.put("labels", labels.toAbsolutePath().toString());
        }
        if (vocabulary != null) {
            prov.put("vocabulary", vocabulary + (mapTo != null ? " -> " + mapTo : ""));
        }
        HeadFitter.Options options =
                new HeadFitter.Options(
                        kindValue,
                        k,
                        minConfidence,
                        quantile,
                        new LinearProbe.Options(
                                epochs, learningRate, l2 != null ? l2 : Double.NaN, seed),
                        KnnHead.Metric.parse(metric));
        long t0 = System.nanoTime();
        CellTypeHead head =
                HeadFitter.fit(
                        id,
                        data.modelId(),
                        vocabulary != null ? data.classes() : null,
                        data.labels(),
                        data.rows(),
                        options,
                        prov);
        DriftProfile drift = DriftProfile.fit(head, data.rows());
        drift.writeWith(head, out);
        double seconds = (System.nanoTime() - t0) / 1e9;
        UnknownPolicy u = head.unknownPolicy();
        System.out.printf(
                Locale.ROOT,
                "wrote %s head %s to %s in %.1f s%n"
                        + "  model %s (%d dims), fitted on %s%n"
                        + "  unknown below confidence %.2f or similarity %s%n",
                head.kind(),
                head.headId(),
                out,
                seconds,
                head.embeddingModelId(),
                head.dim(),
                head.provenance().get("fittedOn"),
                u.minConfidence(),
                Double.isInfinite(u.minSimilarity())
                        ? "(off)"
                        : String.format(
                                Locale.ROOT,
                                "%.4f (%s quantile of the fitting cells)",
                                u.minSimilarity(),
                                u.similarityQuantile()));
        if (!data.skipped().isEmpty()) {
            System.out.println("  left out: " + data.skipped());
        }
        return 0;
    }
}
