package org.bloomstream.modeltools.heads;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.bloomstream.inference.typing.HeadInfo;
import org.bloomstream.inference.typing.LinearHead;
import org.tribuo.MutableDataset;
import org.tribuo.Tribuo;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDModel;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.la.DenseMatrix;
import org.tribuo.math.optimisers.AdaGradRDA;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * Fits the linear probe with Tribuo: multinomial logistic regression (softmax cross-entropy, {@code
 * LogMulticlass}) with an L2 penalty, trained by AdaGrad with regularised dual averaging ({@code
 * AdaGradRDA}) on standardised embeddings, and copies the weights into a {@link LinearHead}, so
 * serving needs no Tribuo.
 *
 * <p>This is bloomstream's own probe (the {@code grouped} protocol and {@code fit-head --kind
 * linear}), not the DinoBloom paper's: its penalty strength borrows the DinoBloom evaluation code's
 * {@code lambda = 100 / (D * C)} (D the embedding width, C the number of classes), applied as
 * Tribuo's RDA {@code l2 / numExamples} per example, but the embeddings are standardised first, the
 * bias is penalised too, and training stops after a fixed number of epochs, so it does not reach
 * the optimum of the reference's {@code LogisticRegression(lbfgs)} and nobody has shown that it
 * lands near it. The paper's probe is {@link LbfgsLogisticRegression} ({@code evaluate --protocol
 * dinobloom}).
 */
public final class LinearProbe {
    static {
        // Tribuo logs every training run at INFO through java.util.logging; the CLI prints its own.
        Logger.getLogger("org.tribuo").setLevel(Level.WARNING);
    }

    /**
     * @param epochs passes over the fitting cells
     * @param learningRate AdaGrad's initial learning rate
     * @param l2 the L2 penalty lambda; NaN means {@code 100 / (D * C)}
     * @param seed shuffling seed: the same inputs and seed give the same head
     */
    public record Options(int epochs, double learningRate, double l2, long seed) {
        public static final Options DEFAULT = new Options(100, 0.1, Double.NaN, 42);

        public Options {
            if (epochs < 1 || !(learningRate > 0)) {
                throw new IllegalArgumentException("epochs and learning rate must be positive");
            }
        }

        double lambda(int dim, int classes) {
            return Double.isNaN(l2) ? 100.0 / (dim * classes) : l2;
        }
    }

    private LinearProbe() {}

    /**
     * Fits on {@code rows} with their {@code labels}; the head's classes are {@code classes} in
     * that order (a class without fitting cells gets zero weights and a bias of -30, so it is never
     * predicted).
     */
    public static LinearHead fit(
            String headId,
            String embeddingModelId,
            List<String> classes,
            List<String> labels,
            float[][] rows,
            Options options,
            Map<String, String> provenance) {
        Fitted f = train(classes, labels, rows, options);
        int dim = rows[0].length;
        LinearSGDModel model = f.model();
        DenseMatrix w = model.getWeightsCopy(); // [labels, features + 1], bias last
        float[][] weights = new float[classes.size()][dim];
        float[] bias = new float[classes.size()];
        int[] featureColumn = new int[dim];
        for (int d = 0; d < dim; d++) {
            featureColumn[d] = model.getFeatureIDMap().get(f.names()[d]).getID();
        }
        int biasColumn = w.getDimension2Size() - 1;
        for (int c = 0; c < classes.size(); c++) {
            int id = model.getOutputIDInfo().getID(new Label(classes.get(c)));
            if (id < 0) {
                bias[c] = -30f; // no fitting cells: never the answer
                continue;
            }
            for (int d = 0; d < dim; d++) {
                weights[c][d] = (float) w.get(id, featureColumn[d]);
            }
            bias[c] = (float) w.get(id, biasColumn);
        }
        Map<String, String> prov = new LinkedHashMap<>(provenance);
        prov.put("library", "Tribuo " + Tribuo.VERSION);
        prov.put(
                "trainer",
                String.format(
                        java.util.Locale.ROOT,
                        "LinearSGDTrainer(LogMulticlass, AdaGradRDA(lr=%s, l2=%.6g per %d examples),"
                                + " epochs=%d, minibatch=1, seed=%d) on standardised embeddings",
                        options.learningRate(),
                        f.lambda(),
                        rows.length,
                        options.epochs(),
                        options.seed()));
        HeadInfo info = new HeadInfo(headId, embeddingModelId, dim, classes, null, prov);
        return LinearHead.of(info, f.mean(), f.scale(), weights, bias, labels, rows);
    }

    /** Tribuo's model and what it needs to be applied: visible for the parity test. */
    record Fitted(
            LinearSGDModel model, String[] names, float[] mean, float[] scale, double lambda) {
        /** Tribuo's own prediction for one raw embedding. */
        Map<String, Double> predict(float[] x) {
            double[] z = new double[x.length];
            for (int d = 0; d < x.length; d++) {
                z[d] = (x[d] - mean[d]) / scale[d];
            }
            Map<String, Double> out = new LinkedHashMap<>();
            model.predict(new ArrayExample<>(new Label("?"), names, z))
                    .getOutputScores()
                    .forEach((k, v) -> out.put(k, v.getScore()));
            return out;
        }
    }

    static Fitted train(
            List<String> classes, List<String> labels, float[][] rows, Options options) {
        int n = rows.length;
        if (n == 0 || labels.size() != n) {
            throw new IllegalArgumentException("need one label per embedding, and at least one");
        }
        int dim = rows[0].length;
        float[] mean = new float[dim];
        float[] scale = new float[dim];
        standardisation(rows, mean, scale);
        String[] names = new String[dim];
        for (int d = 0; d < dim; d++) {
            names[d] = String.format("f%05d", d);
        }
        LabelFactory factory = new LabelFactory();
        MutableDataset<Label> data =
                new MutableDataset<>(
                        new SimpleDataSourceProvenance("bloomstream embeddings", factory), factory);
        for (int i = 0; i < n; i++) {
            if (!classes.contains(labels.get(i))) {
                throw new IllegalArgumentException(
                        "label '" + labels.get(i) + "' is not in the classes " + classes);
            }
            if (rows[i].length != dim) {
                throw new IllegalArgumentException("embeddings differ in dimension");
            }
            double[] z = new double[dim];
            for (int d = 0; d < dim; d++) {
                z[d] = (rows[i][d] - mean[d]) / scale[d];
            }
            data.add(new ArrayExample<>(new Label(labels.get(i)), names, z));
        }
        double lambda = options.lambda(dim, data.getOutputInfo().size());
        // A new trainer per fit: Tribuo's trainer advances its RNG on every train() call.
        LinearSGDTrainer trainer =
                new LinearSGDTrainer(
                        new LogMulticlass(),
                        new AdaGradRDA(options.learningRate(), 1e-6, 0, lambda, n),
                        options.epochs(),
                        Integer.MAX_VALUE,
                        1,
                        options.seed());
        return new Fitted(trainer.train(data), names, mean, scale, lambda);
    }

    /** The per-dimension mean and standard deviation (population); constant dims get scale 1. */
    static void standardisation(float[][] rows, float[] mean, float[] scale) {
        int dim = mean.length;
        double[] s = new double[dim];
        double[] ss = new double[dim];
        for (float[] r : rows) {
            for (int d = 0; d < dim; d++) {
                s[d] += r[d];
            }
        }
        for (int d = 0; d < dim; d++) {
            mean[d] = (float) (s[d] / rows.length);
        }
        for (float[] r : rows) {
            for (int d = 0; d < dim; d++) {
                double x = r[d] - mean[d];
                ss[d] += x * x;
            }
        }
        for (int d = 0; d < dim; d++) {
            double sd = Math.sqrt(ss[d] / rows.length);
            scale[d] = sd > 1e-12 ? (float) sd : 1f;
        }
    }
}
