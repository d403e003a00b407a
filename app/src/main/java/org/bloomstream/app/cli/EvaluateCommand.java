package org.bloomstream.app.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.bloomstream.inference.vocabulary.Vocabulary;
import org.bloomstream.job.cli.EmbedderOptions;
import org.bloomstream.modeltools.embed.EmbedRun;
import org.bloomstream.modeltools.eval.DinoBloomProtocol;
import org.bloomstream.modeltools.eval.Evaluation;
import org.bloomstream.modeltools.eval.Report;
import org.bloomstream.modeltools.heads.LabelledEmbeddings;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bloomstream evaluate}: cell-typing evaluation on a labelled folder, with bloomstream's own
 * grouped protocol (the default) or the DinoBloom paper's ({@code --protocol dinobloom}).
 */
@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        description = {
            "Evaluates kNN (k=1, k=20) and linear-probe cell-type heads on a labelled folder"
                    + " of crops, with a majority-class baseline.",
            "",
            "Embeds the folder with the pipeline's own code (labels.csv with path,label[,group],"
                    + " <label>/<patient>/<image> as in AML_Hehr, or <label>/<image>).",
            "",
            "Protocol grouped (bloomstream's own, the default): seeded stratified k-fold that"
                    + " keeps a group (patient, smear) in one fold, with the served heads (cosine"
                    + " kNN, the Tribuo probe), so that no patient leaks between folds.",
            "",
            "Protocol dinobloom (the DinoBloom paper's): scikit-learn's StratifiedKFold(5), not"
                    + " shuffled or grouped; Euclidean kNN on raw embeddings; L-BFGS logistic"
                    + " regression (C = dims*classes/100). With --train-list and --test-list: one"
                    + " fixed split, as for BMC.",
            "",
            "Prints accuracy, balanced accuracy and weighted F1 (mean ± sd over folds),"
                    + " per-class recall and confusion matrices, and writes report.txt,"
                    + " metrics.json, predictions.csv, confusion.png, report.html and the"
                    + " embeddings (reusable with fit-head) to --out (default:"
                    + " .bloomstream/evaluations/<name>/, which git ignores). With the fixture ViT"
                    + " (random weights) the numbers say nothing clinical."
        })
final class EvaluateCommand implements Callable<Integer> {

    static final class Input {
        @Option(
                names = "--crops",
                paramLabel = "DIR",
                description = "Labelled folder of crops to embed and evaluate on.")
        Path crops;

        @Option(
                names = "--embeddings",
                paramLabel = "X",
                description = "Evaluate existing 'bloomstream embed' output instead.")
        Path embeddings;
    }

    @ArgGroup(multiplicity = "1")
    Input input;

    @Mixin EmbedderOptions embedder = new EmbedderOptions();

    @Option(
            names = "--protocol",
            defaultValue = "grouped",
            paramLabel = "NAME",
            description = "grouped or dinobloom (default: ${DEFAULT-VALUE}).")
    String protocol;

    @Option(names = "--folds", description = "grouped: number of folds (default: 5).")
    Integer folds;

    @Option(names = "--seed", description = "grouped: seed of the fold assignment (default: 0).")
    Long seed;

    @Option(
            names = "--no-groups",
            description = "grouped: ignore the labels' groups and split cell by cell.")
    boolean noGroups;

    @Option(
            names = "--train-list",
            paramLabel = "FILE",
            description =
                    "dinobloom: fixed split, the training cells (one path or cell id per line,"
                            + " or a CSV whose first column is one).")
    Path trainList;

    @Option(
            names = "--test-list",
            paramLabel = "FILE",
            description = "dinobloom: fixed split, the test cells (as --train-list).")
    Path testList;

    @Option(
            names = "--vocabulary",
            paramLabel = "ID|FILE",
            description =
                    "Normalise labels against a vocabulary (peripheral-5, matek-2018-15,"
                            + " bone-marrow-21, or a file) (default: the labels as written).")
    String vocabulary;

    @Option(
            names = "--map-to",
            paramLabel = "ID|FILE",
            description =
                    "Evaluate in this vocabulary, mapping --vocabulary's classes into it; cells"
                            + " without a counterpart are left out.")
    String mapTo;

    @Option(
            names = "--out",
            paramLabel = "DIR",
            description =
                    "Where the reports go (default: .bloomstream/evaluations/<name> in the"
                            + " working directory, which git ignores; <name> is the folder's or"
                            + " the embeddings' name).")
    Path out;

    @Option(
            names = "--batch-size",
            defaultValue = "32",
            description = "Crops per model call when embedding (default: ${DEFAULT-VALUE}).")
    int batchSize;

    /** Where the reports go without --out: under .bloomstream/, out of git's way. */
    static Path defaultOut(String name) {
        return Path.of(".bloomstream", "evaluations", name);
    }

    @Override
    public Integer call() throws Exception {
        if (mapTo != null && vocabulary == null) {
            throw new IllegalArgumentException("--map-to needs --vocabulary (the labels' own)");
        }
        boolean dinobloom;
        switch (protocol.toLowerCase(Locale.ROOT)) {
            case "grouped" -> dinobloom = false;
            case "dinobloom" -> dinobloom = true;
            default ->
                    throw new IllegalArgumentException(
                            "unknown --protocol '" + protocol + "' (grouped or dinobloom)");
        }
        if (dinobloom && (folds != null || seed != null || noGroups)) {
            throw new IllegalArgumentException(
                    "--folds, --seed and --no-groups belong to --protocol grouped; dinobloom"
                            + " uses StratifiedKFold(5) or --train-list/--test-list");
        }
        if (!dinobloom && (trainList != null || testList != null)) {
            throw new IllegalArgumentException(
                    "--train-list/--test-list need --protocol dinobloom");
        }
        if ((trainList == null) != (testList == null)) {
            throw new IllegalArgumentException("give both --train-list and --test-list");
        }
        Path source = input.crops != null ? input.crops : input.embeddings;
        String title = source.toAbsolutePath().normalize().getFileName().toString();
        Path dir = out != null ? out : defaultOut(title.replaceAll("\\.(npy|csv|json)$", ""));
        Path embeddings = input.embeddings;
        if (input.crops != null) {
            embeddings = dir.resolve("embeddings");
            int cores = Runtime.getRuntime().availableProcessors();
            EmbedRun.Result e =
                    new EmbedRun(
                                    new EmbedRun.Options(
                                            input.crops,
                                            embeddings,
                                            embedder.modelPath(),
                                            embedder.execution(1, batchSize),
                                            batchSize,
                                            cores),
                                    System.err)
                            .run();
            System.err.printf(
                    Locale.ROOT,
                    "embedded %d crops in %.1f s (%d failed)%n",
                    e.embedded(),
                    e.seconds(),
                    e.failed());
        }
        LabelledEmbeddings data = LabelledEmbeddings.load(embeddings, null);
        if (vocabulary != null) {
            data =
                    data.inVocabulary(
                            Vocabulary.resolve(vocabulary),
                            mapTo != null ? Vocabulary.resolve(mapTo) : null);
        }
        if (!data.skipped().isEmpty()) {
            System.err.println("left out: " + data.skipped());
        }
        Evaluation.Result r;
        if (dinobloom) {
            DinoBloomProtocol.Split split =
                    trainList != null
                            ? DinoBloomProtocol.fixed(
                                    data,
                                    DinoBloomProtocol.readList(trainList),
                                    DinoBloomProtocol.readList(testList))
                            : DinoBloomProtocol.kFold(data);
            r = DinoBloomProtocol.run(data, split);
        } else {
            if (!noGroups && !data.grouped()) {
                System.err.println(
                        "the labels carry no group (patient or smear): folds split cell by cell");
            }
            r =
                    Evaluation.run(
                            data,
                            folds != null ? folds : 5,
                            !noGroups,
                            seed != null ? seed : 0,
                            Evaluation.groupedHeads());
        }
        Report.Files files = Report.write(r, title, dir, System.out);
        System.out.printf(
                "%nwrote %s, %s, %s, %s%s%n",
                files.text(),
                files.json(),
                files.predictions(),
                files.html(),
                files.png() != null ? ", " + files.png() : "");
        return 0;
    }
}
