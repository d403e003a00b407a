package org.bloomstream.modeltools.eval;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bloomstream.inference.typing.CellTypeHead;
import org.bloomstream.inference.typing.HeadScorer;
import org.bloomstream.inference.typing.Prediction;
import org.bloomstream.inference.typing.Scores;
import org.bloomstream.modeltools.heads.HeadFitter;
import org.bloomstream.modeltools.heads.LabelledEmbeddings;

/**
 * The {@code grouped} protocol, bloomstream's own: seeded, stratified k-fold that keeps a group
 * (patient, smear) in one fold ({@link Folds}), over bloomstream's served heads: cosine kNN with k
 * = 1 and k = 20, the Tribuo linear probe ({@link org.bloomstream.app.heads.LinearProbe}), and the
 * majority-class baseline for scale. Each fold fits every head on the other folds with the same
 * code as {@code fit-head} and scores the held-out cells through the serving path ({@link
 * HeadScorer}, the ONNX search for kNN). Head names echo DinoBloom's table columns, but neither the
 * folds nor the heads are the paper's: that is {@link DinoBloomProtocol}.
 *
 * <p>Metrics are those of closed-set classification: the most probable class of every cell counts,
 * also when the head's thresholds would call it unknown. How many cells the pipeline would call
 * unknown is reported beside them.
 */
public final class Evaluation {

    /** One evaluated head. {@code fitOptions} is null for the majority baseline. */
    public record HeadSpec(String name, HeadFitter.Options fitOptions) {}

    /** The grouped protocol's heads (cosine kNN, Tribuo probe), and the majority baseline. */
    public static List<HeadSpec> groupedHeads() {
        return List.of(
                new HeadSpec("knn-1", HeadFitter.Options.defaults(HeadFitter.Kind.KNN).withK(1)),
                new HeadSpec("knn-20", HeadFitter.Options.defaults(HeadFitter.Kind.KNN).withK(20)),
                new HeadSpec("linear", HeadFitter.Options.defaults(HeadFitter.Kind.LINEAR)),
                new HeadSpec(MAJORITY, null));
    }

    public static final String MAJORITY = "majority";

    /** One head's results. */
    public record HeadResult(
            String name, List<Confusion> folds, Confusion pooled, long unknown, double seconds) {
        public double[] accuracy() {
            return folds.stream().mapToDouble(Confusion::accuracy).toArray();
        }

        public double[] balancedAccuracy() {
            return folds.stream().mapToDouble(Confusion::balancedAccuracy).toArray();
        }

        public double[] weightedF1() {
            return folds.stream().mapToDouble(Confusion::weightedF1).toArray();
        }
    }

    /** One held-out prediction. */
    public record Row(
            String cellId,
            String label,
            String group,
            int fold,
            String head,
            String predicted,
            float confidence,
            String unknownReason) {}

    /**
     * Everything an evaluation produced.
     *
     * @param protocol {@code grouped}, {@code dinobloom} or {@code dinobloom-fixed-split}
     */
    public record Result(
            String modelId,
            int dim,
            int cells,
            List<String> classes,
            int folds,
            boolean grouped,
            int groups,
            List<String> warnings,
            List<HeadResult> heads,
            List<Row> rows,
            String protocol) {
        public HeadResult head(String name) {
            return heads.stream().filter(h -> h.name().equals(name)).findFirst().orElseThrow();
        }
    }

    private Evaluation() {}

    /**
     * @param groups whether to keep the data's groups together (ignored when it has none)
     */
    public static Result run(
            LabelledEmbeddings data, int k, boolean groups, long seed, List<HeadSpec> heads)
            throws IOException {
        boolean grouped = groups && data.grouped();
        List<String> g = grouped ? data.groups() : null;
        int[] fold = Folds.assign(data.labels(), g, k, seed);
        List<String> classes = data.classes();
        int[] truth = new int[data.size()];
        for (int i = 0; i < truth.length; i++) {
            truth[i] = classes.indexOf(data.labels().get(i));
        }
        List<HeadResult> results = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        for (HeadSpec spec : heads) {
            long t0 = System.nanoTime();
            List<Confusion> perFold = new ArrayList<>();
            Confusion pooled = new Confusion(classes);
            long unknown = 0;
            for (int f = 0; f < k; f++) {
                List<Integer> train = new ArrayList<>();
                List<Integer> test = new ArrayList<>();
                for (int i = 0; i < fold.length; i++) {
                    (fold[i] == f ? test : train).add(i);
                }
                Confusion c = new Confusion(classes);
                Prediction[] pred = predict(data, classes, spec, train, test);
                for (int t = 0; t < test.size(); t++) {
                    int i = test.get(t);
                    c.add(truth[i], pred[t].best());
                    if (pred[t].unknown()) {
                        unknown++;
                    }
                    rows.add(
                            new Row(
                                    data.ids().get(i),
                                    data.labels().get(i),
                                    data.groups().get(i),
                                    f,
                                    spec.name(),
                                    classes.get(pred[t].best()),
                                    pred[t].confidence(),
                                    pred[t].unknownReason()));
                }
                perFold.add(c);
                pooled.addAll(c);
            }
            results.add(
                    new HeadResult(
                            spec.name(), perFold, pooled, unknown, (System.nanoTime() - t0) / 1e9));
        }
        long groupCount = grouped ? data.groups().stream().distinct().count() : (long) data.size();
        return new Result(
                data.modelId(),
                data.dim(),
                data.size(),
                classes,
                k,
                grouped,
                (int) groupCount,
                Folds.warnings(data.labels(), g, k),
                results,
                rows,
                "grouped");
    }

    private static Prediction[] predict(
            LabelledEmbeddings data,
            List<String> classes,
            HeadSpec spec,
            List<Integer> train,
            List<Integer> test)
            throws IOException {
        if (spec.fitOptions() == null) {
            // Majority class of the training folds, with confidence 1 and never unknown.
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (int i : train) {
                counts.merge(data.labels().get(i), 1, Integer::sum);
            }
            String top =
                    counts.entrySet().stream()
                            .max(Map.Entry.comparingByValue())
                            .orElseThrow()
                            .getKey();
            Prediction[] out = new Prediction[test.size()];
            java.util.Arrays.fill(out, new Prediction(classes.indexOf(top), top, 1f, 1f, null));
            return out;
        }
        List<String> labels = new ArrayList<>();
        float[][] x = new float[train.size()][];
        for (int t = 0; t < train.size(); t++) {
            labels.add(data.labels().get(train.get(t)));
            x[t] = data.rows()[train.get(t)];
        }
        CellTypeHead head =
                HeadFitter.fit(
                        spec.name(),
                        data.modelId(),
                        classes,
                        labels,
                        x,
                        spec.fitOptions(),
                        Map.of());
        float[][] q = new float[test.size()][];
        for (int t = 0; t < test.size(); t++) {
            q[t] = data.rows()[test.get(t)];
        }
        Prediction[] out = new Prediction[test.size()];
        try (HeadScorer s = head.open()) {
            int batch = 256;
            for (int start = 0; start < q.length; start += batch) {
                int n = Math.min(batch, q.length - start);
                float[][] b = java.util.Arrays.copyOfRange(q, start, start + n);
                Scores scores = s.score(b, n);
                for (int i = 0; i < n; i++) {
                    out[start + i] = scores.prediction(i, head, head.unknownPolicy());
                }
            }
        }
        return out;
    }

    /** Mean of {@code v}. */
    public static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** Sample standard deviation of {@code v} (n - 1), 0 for one value. */
    public static double std(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }
}
