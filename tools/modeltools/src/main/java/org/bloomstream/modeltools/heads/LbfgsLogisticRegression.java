package org.bloomstream.modeltools.heads;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import opennlp.tools.ml.maxent.quasinewton.Function;
import opennlp.tools.ml.maxent.quasinewton.QNMinimizer;

/**
 * The linear probe of DinoBloom's evaluation code: scikit-learn 1.2's {@code
 * LogisticRegression(C=1/lambda, solver="lbfgs", multi_class="multinomial", max_iter=1000)} with
 * {@code lambda = 100 / (D * K)} (D the embedding width, K the classes in the training set), on raw
 * (not standardised) embeddings.
 *
 * <p>The objective is scikit-learn's, written out here: the sum over cells of the softmax
 * cross-entropy plus {@code ||W||^2 / (2C)}, with one weight row and one intercept per class and
 * the intercepts not penalised; it starts from zero weights. The minimiser is Apache OpenNLP's
 * L-BFGS ({@code opennlp.tools.ml.maxent.quasinewton.QNMinimizer}, Apache-2.0), with 10 corrections
 * as in SciPy's L-BFGS-B. OpenNLP stops once one iteration lowers the objective by less than 1e-4
 * of its value, which is looser than SciPy; so it is run again from where it stopped until SciPy's
 * own tests pass: the largest gradient component at most {@code tol = 1e-4} ({@code gtol}), a
 * relative decrease of at most 2.2e-9 ({@code ftol}), or the iteration budget spent. Both land at
 * the same optimum of a strictly convex problem; the oracle test checks the metrics against
 * scikit-learn.
 */
public final class LbfgsLogisticRegression {
    /** scikit-learn's {@code tol} default, which SciPy gets as {@code gtol}. */
    public static final double GTOL = 1e-4;

    /** SciPy's L-BFGS-B {@code ftol} default (factr 1e7 times machine epsilon). */
    public static final double FTOL = 2.220446049250313e-9;

    /** The reference's {@code max_iter}. */
    public static final int MAX_ITER = 1000;

    private static final int CORRECTIONS = 10;
    private static final int MAX_ROUNDS = 1000;
    private static final int STALLED_ROUNDS = 5;

    /**
     * Every restart forgets L-BFGS's curvature pairs, so the restarted runs get this many times the
     * reference's iteration budget to reach the optimum SciPy reaches within it.
     */
    private static final int RESTART_FACTOR = 5;

    /**
     * The fitted model: {@code weights[k][d]} and {@code intercept[k]} for the classes, sorted,
     * that occur in the training labels.
     */
    public record Model(
            List<String> classes, double[][] weights, double[] intercept, double c, int rounds) {
        /** The class probabilities (softmax of the decision function), in class order. */
        public double[] probabilities(float[] x) {
            double[] z = new double[weights.length];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < weights.length; k++) {
                z[k] = intercept[k];
                for (int d = 0; d < x.length; d++) {
                    z[k] += weights[k][d] * x[d];
                }
                max = Math.max(max, z[k]);
            }
            double sum = 0;
            for (int k = 0; k < z.length; k++) {
                z[k] = Math.exp(z[k] - max);
                sum += z[k];
            }
            for (int k = 0; k < z.length; k++) {
                z[k] /= sum;
            }
            return z;
        }

        /** The most probable class's index in {@link #classes()} (the first on exact ties). */
        public int predict(float[] x) {
            int best = 0;
            double bestZ = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < weights.length; k++) {
                double z = intercept[k];
                for (int d = 0; d < x.length; d++) {
                    z += weights[k][d] * x[d];
                }
                if (z > bestZ) {
                    bestZ = z;
                    best = k;
                }
            }
            return best;
        }
    }

    private LbfgsLogisticRegression() {}

    /** The reference's {@code C = 1 / (100 / (D * K))}. */
    public static double referenceC(int dim, int classes) {
        return 1.0 / (100.0 / (dim * (double) classes));
    }

    /** Fits with the reference's C. */
    public static Model fit(List<String> labels, float[][] rows) {
        int k = new TreeSet<>(labels).size();
        return fit(labels, rows, referenceC(rows[0].length, k), MAX_ITER);
    }

    public static Model fit(List<String> labels, float[][] rows, double c, int maxIter) {
        if (rows.length == 0 || rows.length != labels.size()) {
            throw new IllegalArgumentException("need one label per embedding, and at least one");
        }
        List<String> classes = new ArrayList<>(new TreeSet<>(labels));
        int n = rows.length;
        int dim = rows[0].length;
        int kk = classes.size();
        double[][] x = new double[n][];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            if (rows[i].length != dim) {
                throw new IllegalArgumentException("embeddings differ in dimension");
            }
            x[i] = new double[dim];
            for (int d = 0; d < dim; d++) {
                x[i][d] = rows[i][d];
            }
            y[i] = classes.indexOf(labels.get(i));
        }
        Objective f = new Objective(x, y, kk, 1.0 / c);
        double[] w = new double[f.getDimension()];
        double value = f.valueAt(w);
        // OpenNLP stops when one iteration lowers its objective by less than 1e-4 of the
        // objective's value. It is handed f minus a floor, f - (f(start) - headroom): while the
        // headroom is large that is its usual test; each time a run stops short of the floor the
        // headroom shrinks 100-fold, which tightens the test, and a run that reaches the floor
        // (its objective turns negative, which stops it) restarts from there with 10 times the
        // headroom.
        double headroom = Math.max(value, 1.0);
        int rounds = 0;
        int stalled = 0;
        while (rounds < MAX_ROUNDS && maxAbs(f.gradient(w)) > GTOL) {
            int budget = RESTART_FACTOR * maxIter - f.iterations;
            if (budget <= 0) {
                break;
            }
            Shifted g = new Shifted(f, w, value - headroom);
            double[] step =
                    new QNMinimizer(0, 0, budget, CORRECTIONS, QNMinimizer.MAX_FCT_EVAL_DEFAULT)
                            .minimize(g);
            rounds++;
            double[] next = g.point(step);
            double nextValue = f.valueAt(next);
            if (!(nextValue <= value)) {
                break; // no progress (guards against a failed line search)
            }
            boolean reachedFloor = nextValue <= value - headroom;
            double decrease = (value - nextValue) / Math.max(Math.max(value, nextValue), 1.0);
            w = next;
            value = nextValue;
            double smallest = FTOL * Math.max(value, 1.0);
            stalled = decrease <= FTOL ? stalled + 1 : 0;
            if (decrease <= FTOL && (headroom <= smallest || stalled >= STALLED_ROUNDS)) {
                break; // SciPy's ftol test: runs no longer lower f by ftol
            }
            headroom =
                    reachedFloor
                            ? Math.min(headroom * 10, Math.max(value, 1.0))
                            : Math.max(headroom / 100, smallest);
        }
        double[][] weights = new double[kk][dim];
        double[] intercept = new double[kk];
        for (int k = 0; k < kk; k++) {
            System.arraycopy(w, k * (dim + 1), weights[k], 0, dim);
            intercept[k] = w[k * (dim + 1) + dim];
        }
        return new Model(classes, weights, intercept, c, rounds);
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, Math.abs(d));
        }
        return m;
    }

    /**
     * scikit-learn's multinomial loss and gradient ({@code LinearModelLoss} with {@code
     * HalfMultinomialLoss}); parameters are {@code K} blocks of {@code D} weights then the
     * intercept. The last point's value and gradient are cached: OpenNLP asks for both separately.
     */
    static final class Objective implements Function {
        private final double[][] x;
        private final int[] y;
        private final int classes;
        private final int dim;
        private final double alpha;
        private double[] lastPoint;
        private double lastValue;
        private double[] lastGradient;
        int evaluations;
        int iterations;

        Objective(double[][] x, int[] y, int classes, double alpha) {
            this.x = x;
            this.y = y;
            this.classes = classes;
            this.dim = x[0].length;
            this.alpha = alpha;
        }

        @Override
        public int getDimension() {
            return classes * (dim + 1);
        }

        @Override
        public double valueAt(double[] w) {
            evaluate(w);
            return lastValue;
        }

        @Override
        public double[] gradientAt(double[] w) {
            iterations++; // OpenNLP takes one gradient per accepted step
            return gradient(w);
        }

        double[] gradient(double[] w) {
            evaluate(w);
            return lastGradient.clone();
        }

        private void evaluate(double[] w) {
            if (lastPoint != null && Arrays.equals(lastPoint, w)) {
                return;
            }
            evaluations++;
            int stride = dim + 1;
            double loss = 0;
            double[] grad = new double[w.length];
            double[] z = new double[classes];
            for (int i = 0; i < x.length; i++) {
                double[] xi = x[i];
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < classes; k++) {
                    double s = w[k * stride + dim];
                    int off = k * stride;
                    for (int d = 0; d < dim; d++) {
                        s += w[off + d] * xi[d];
                    }
                    z[k] = s;
                    max = Math.max(max, s);
                }
                double sum = 0;
                for (int k = 0; k < classes; k++) {
                    sum += Math.exp(z[k] - max);
                }
                double logSum = max + Math.log(sum);
                loss += logSum - z[y[i]];
                for (int k = 0; k < classes; k++) {
                    double p = Math.exp(z[k] - logSum) - (k == y[i] ? 1 : 0);
                    int off = k * stride;
                    for (int d = 0; d < dim; d++) {
                        grad[off + d] += p * xi[d];
                    }
                    grad[off + dim] += p;
                }
            }
            double penalty = 0;
            for (int k = 0; k < classes; k++) {
                int off = k * stride;
                for (int d = 0; d < dim; d++) {
                    penalty += w[off + d] * w[off + d];
                    grad[off + d] += alpha * w[off + d];
                }
            }
            lastPoint = w.clone();
            lastValue = loss + 0.5 * alpha * penalty;
            lastGradient = grad;
        }
    }

    /** {@code f(origin + v) - floor}: OpenNLP's minimiser always starts from zero. */
    private static final class Shifted implements Function {
        private final Objective f;
        private final double[] origin;
        private final double floor;

        Shifted(Objective f, double[] origin, double floor) {
            this.f = f;
            this.origin = origin.clone();
            this.floor = floor;
        }

        double[] point(double[] v) {
            double[] p = origin.clone();
            for (int i = 0; i < p.length; i++) {
                p[i] += v[i];
            }
            return p;
        }

        @Override
        public int getDimension() {
            return f.getDimension();
        }

        @Override
        public double valueAt(double[] v) {
            return f.valueAt(point(v)) - floor;
        }

        @Override
        public double[] gradientAt(double[] v) {
            return f.gradientAt(point(v));
        }
    }
}
