package org.bloomstream.modeltools.eval;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.bloomstream.inference.typing.HeadScorer;
import org.bloomstream.inference.typing.KnnHead;
import org.bloomstream.inference.typing.Scores;
import org.bloomstream.modeltools.heads.LabelledEmbeddings;
import org.bloomstream.modeltools.heads.LbfgsLogisticRegression;

/**
 * The {@code dinobloom} protocol: the cell-typing evaluation of DinoBloom's own code ({@code
 * dinov2/eval/miccai/general_patch_eval.py} and {@code general_fixed_split_patch_eval.py} in
 * marrlab/DinoBloom), reproduced exactly on frozen embeddings:
 *
 * <ul>
 *   <li>folds: scikit-learn's {@code StratifiedKFold(5)}, not shuffled, not grouped ({@link
 *       StratifiedKFold}), over the cells in the embeddings file's order; or one fixed train/test
 *       split (the reference's BMC-style evaluation);
 *   <li>kNN: scikit-learn's default {@code KNeighborsClassifier(n_neighbors=k)} for k = 1 and 20:
 *       Euclidean distance on the raw embeddings, a uniform vote, ties to the first class in sorted
 *       label order ({@link KnnHead.Metric#EUCLIDEAN}, searched in double precision);
 *   <li>linear probe: {@code LogisticRegression(C=D*K/100, lbfgs, multinomial, max_iter=1000)} on
 *       the raw embeddings ({@link LbfgsLogisticRegression});
 *   <li>metrics: accuracy, balanced accuracy and weighted F1 per fold (scikit-learn's definitions,
 *       {@link Confusion}), reported as mean ± sd over the folds.
 * </ul>
 *
 * Labels are encoded as scikit-learn's {@code LabelEncoder} does (sorted), which is also how the
 * reference numbers class folders. Nothing here knows about groups: cells of one patient can be in
 * training and test folds, as in the paper.
 */
public final class DinoBloomProtocol {
    /** The reference's number of folds. */
    public static final int FOLDS = 5;

    /** The reference's two k. */
    public static final int[] KS = {1, 20};

    public static final String LINEAR = "linear";

    private DinoBloomProtocol() {}

    /** How cells are split: {@code fold[i]} is the test fold of cell i, or -1 to always train. */
    public record Split(int[] fold, int folds, String protocol, List<String> notes) {}

    /** scikit-learn's {@code StratifiedKFold(5)} over all cells. */
    public static Split kFold(LabelledEmbeddings data) {
        return new Split(
                StratifiedKFold.testFolds(data.labels(), FOLDS),
                FOLDS,
                "dinobloom",
                StratifiedKFold.warnings(data.labels(), FOLDS));
    }

    /**
     * A fixed split: {@code train} and {@code test} name cells by id (the crop's path within the
     * folder), or by any path that ends with {@code /<id>}; cells in neither are left out.
     */
    public static Split fixed(LabelledEmbeddings data, List<String> train, List<String> test) {
        Map<String, Integer> byId = new HashMap<>();
        for (int i = 0; i < data.size(); i++) {
            byId.put(data.ids().get(i), i);
        }
        int[] fold = new int[data.size()];
        java.util.Arrays.fill(fold, -2);
        int trainCount = mark(fold, byId, train, -1, "train");
        int testCount = mark(fold, byId, test, 0, "test");
        List<String> notes = new ArrayList<>();
        long unused = java.util.Arrays.stream(fold).filter(f -> f == -2).count();
        if (unused > 0) {
            notes.add(unused + " labelled cells are in neither list and left out");
        }
        notes.add("fixed split: " + trainCount + " training, " + testCount + " test cells");
        return new Split(fold, 1, "dinobloom-fixed-split", notes);
    }

    /**
     * A split list: one cell per line (blank lines and {@code #} comments skipped); of a CSV, the
     * first column, below a header line (the reference's split CSVs).
     */
    public static List<String> readList(java.nio.file.Path file) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(file)) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            int comma = t.indexOf(',');
            out.add((comma >= 0 ? t.substring(0, comma) : t).replace("\"", "").strip());
        }
        if (!out.isEmpty() && file.getFileName().toString().endsWith(".csv")) {
            out.remove(0);
        }
        return out;
    }

    private static int mark(
            int[] fold, Map<String, Integer> byId, List<String> entries, int value, String which) {
        int n = 0;
        List<String> missing = new ArrayList<>();
        for (String e : entries) {
            Integer i = byId.get(e);
            if (i == null) {
                i = bySuffix(byId, e);
            }
            if (i == null) {
                missing.add(e);
                continue;
            }
            if (fold[i] != -2 && fold[i] != value) {
                throw new IllegalArgumentException(
                        "cell " + e + " is in both the train and the test list");
            }
            fold[i] = value;
            n++;
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(
                    missing.size()
                            + " "
                            + which
                            + " entries match no labelled cell, e.g. "
                            + missing.subList(0, Math.min(3, missing.size())));
        }
        if (n == 0) {
            throw new IllegalArgumentException("the " + which + " list is empty");
        }
        return n;
    }

    private static Integer bySuffix(Map<String, Integer> byId, String entry) {
        String e = entry.replace('\\', '/');
        Integer found = null;
        for (Map.Entry<String, Integer> m : byId.entrySet()) {
            if (e.endsWith("/" + m.getKey())) {
                if (found != null) {
                    throw new IllegalArgumentException(entry + " matches more than one cell");
                }
                found = m.getValue();
            }
        }
        return found;
    }

    /** Runs kNN-1, kNN-20, the linear probe and the majority baseline on {@code split}. */
    public static Evaluation.Result run(LabelledEmbeddings data, Split split) throws IOException {
        List<String> classes = new ArrayList<>(new TreeSet<>(data.labels()));
        int[] truth = new int[data.size()];
        for (int i = 0; i < truth.length; i++) {
            truth[i] = classes.indexOf(data.labels().get(i));
        }
        List<String> names = new ArrayList<>();
        for (int k : KS) {
            names.add("knn-" + k);
        }
        names.add(LINEAR);
        names.add(Evaluation.MAJORITY);
        Map<String, List<Confusion>> perFold = new LinkedHashMap<>();
        Map<String, Double> seconds = new LinkedHashMap<>();
        for (String n : names) {
            perFold.put(n, new ArrayList<>());
            seconds.put(n, 0.0);
        }
        List<Evaluation.Row> rows = new ArrayList<>();
        for (int f = 0; f < split.folds(); f++) {
            List<Integer> train = new ArrayList<>();
            List<Integer> test = new ArrayList<>();
            for (int i = 0; i < split.fold().length; i++) {
                if (split.fold()[i] == f) {
                    test.add(i);
                } else if (split.fold()[i] != -2) {
                    train.add(i);
                }
            }
            List<String> trainLabels = new ArrayList<>();
            float[][] trainX = new float[train.size()][];
            for (int t = 0; t < train.size(); t++) {
                trainLabels.add(data.labels().get(train.get(t)));
                trainX[t] = data.rows()[train.get(t)];
            }
            float[][] testX = new float[test.size()][];
            for (int t = 0; t < test.size(); t++) {
                testX[t] = data.rows()[test.get(t)];
            }
            for (String name : names) {
                long t0 = System.nanoTime();
                int[] pred = new int[test.size()];
                float[] conf = new float[test.size()];
                if (name.startsWith("knn-")) {
                    knn(data, classes, trainLabels, trainX, testX, name, pred, conf);
                } else if (name.equals(LINEAR)) {
                    LbfgsLogisticRegression.Model m =
                            LbfgsLogisticRegression.fit(trainLabels, trainX);
                    for (int t = 0; t < testX.length; t++) {
                        double[] p = m.probabilities(testX[t]);
                        int b = m.predict(testX[t]);
                        pred[t] = classes.indexOf(m.classes().get(b));
                        conf[t] = (float) p[b];
                    }
                } else {
                    // The most frequent training class, the first in sorted order on ties.
                    int[] counts = new int[classes.size()];
                    for (String l : trainLabels) {
                        counts[classes.indexOf(l)]++;
                    }
                    int top = 0;
                    for (int c = 1; c < counts.length; c++) {
                        if (counts[c] > counts[top]) {
                            top = c;
                        }
                    }
                    java.util.Arrays.fill(pred, top);
                    java.util.Arrays.fill(conf, 1f);
                }
                Confusion c = new Confusion(classes);
                for (int t = 0; t < test.size(); t++) {
                    int i = test.get(t);
                    c.add(truth[i], pred[t]);
                    rows.add(
                            new Evaluation.Row(
                                    data.ids().get(i),
                                    data.labels().get(i),
                                    data.groups().get(i),
                                    f,
                                    name,
                                    classes.get(pred[t]),
                                    conf[t],
                                    null));
                }
                perFold.get(name).add(c);
                seconds.merge(name, (System.nanoTime() - t0) / 1e9, Double::sum);
            }
        }
        List<Evaluation.HeadResult> heads = new ArrayList<>();
        int used = 0;
        for (int f : split.fold()) {
            used += f >= 0 ? 1 : 0;
        }
        for (String name : names) {
            Confusion pooled = new Confusion(classes);
            perFold.get(name).forEach(pooled::addAll);
            heads.add(
                    new Evaluation.HeadResult(
                            name, perFold.get(name), pooled, 0, seconds.get(name)));
        }
        return new Evaluation.Result(
                data.modelId(),
                data.dim(),
                used,
                classes,
                split.folds(),
                false,
                used,
                split.notes(),
                heads,
                rows,
                split.protocol());
    }

    private static void knn(
            LabelledEmbeddings data,
            List<String> classes,
            List<String> trainLabels,
            float[][] trainX,
            float[][] testX,
            String name,
            int[] pred,
            float[] conf)
            throws IOException {
        int k = Integer.parseInt(name.substring("knn-".length()));
        if (k > trainX.length) {
            // scikit-learn refuses too: "Expected n_neighbors <= n_samples".
            throw new IllegalArgumentException(
                    name + " needs at least " + k + " training cells, a fold has " + trainX.length);
        }
        KnnHead head =
                KnnHead.fit(
                        name,
                        data.modelId(),
                        classes,
                        trainLabels,
                        trainX,
                        k,
                        KnnHead.Metric.EUCLIDEAN,
                        0,
                        Double.NaN,
                        Map.of());
        try (HeadScorer s = head.openExact()) {
            Scores scores = s.score(testX, testX.length);
            for (int t = 0; t < testX.length; t++) {
                pred[t] = scores.best()[t];
                conf[t] = scores.probabilities()[t][pred[t]];
            }
        }
    }
}
