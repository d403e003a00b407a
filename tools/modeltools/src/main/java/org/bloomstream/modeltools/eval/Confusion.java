package org.bloomstream.modeltools.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * A confusion matrix (rows: true class, columns: predicted class) and the metrics DinoBloom
 * reports, computed from it with scikit-learn's definitions:
 *
 * <ul>
 *   <li>accuracy: correct / all;
 *   <li>balanced accuracy: the mean recall over the classes that occur in the truth ({@code
 *       balanced_accuracy_score});
 *   <li>weighted F1: per-class F1 weighted by the class's true count, over the classes that occur
 *       in the truth or the predictions ({@code f1_score(average="weighted")}); a class with no
 *       prediction has precision 0 and F1 0 (scikit-learn's {@code zero_division} default, which
 *       also warns).
 * </ul>
 */
public final class Confusion {
    private final List<String> classes;
    private final long[][] counts;

    public Confusion(List<String> classes) {
        this.classes = List.copyOf(classes);
        this.counts = new long[classes.size()][classes.size()];
    }

    public Confusion(List<String> classes, long[][] counts) {
        this(classes);
        if (counts.length != classes.size()) {
            throw new IllegalArgumentException("one row per class");
        }
        for (int i = 0; i < counts.length; i++) {
            if (counts[i].length != classes.size()) {
                throw new IllegalArgumentException("one column per class");
            }
            System.arraycopy(counts[i], 0, this.counts[i], 0, counts[i].length);
        }
    }

    public void add(int truth, int predicted) {
        counts[truth][predicted]++;
    }

    public void addAll(Confusion other) {
        for (int i = 0; i < counts.length; i++) {
            for (int j = 0; j < counts.length; j++) {
                counts[i][j] += other.counts[i][j];
            }
        }
    }

    public List<String> classes() {
        return classes;
    }

    public long count(int truth, int predicted) {
        return counts[truth][predicted];
    }

    public long total() {
        long t = 0;
        for (long[] r : counts) {
            for (long v : r) {
                t += v;
            }
        }
        return t;
    }

    /** Cells whose true class is {@code c}. */
    public long support(int c) {
        long s = 0;
        for (long v : counts[c]) {
            s += v;
        }
        return s;
    }

    /** Cells predicted as {@code c}. */
    public long predicted(int c) {
        long s = 0;
        for (long[] r : counts) {
            s += r[c];
        }
        return s;
    }

    public double accuracy() {
        long correct = 0;
        for (int i = 0; i < counts.length; i++) {
            correct += counts[i][i];
        }
        return correct / (double) total();
    }

    /** Recall of class {@code c}; NaN when it does not occur in the truth. */
    public double recall(int c) {
        long s = support(c);
        return s == 0 ? Double.NaN : counts[c][c] / (double) s;
    }

    /** Precision of class {@code c}; 0 when it is never predicted. */
    public double precision(int c) {
        long p = predicted(c);
        return p == 0 ? 0 : counts[c][c] / (double) p;
    }

    public double f1(int c) {
        double p = precision(c);
        double r = support(c) == 0 ? 0 : recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public double balancedAccuracy() {
        double sum = 0;
        int n = 0;
        for (int c = 0; c < counts.length; c++) {
            if (support(c) > 0) {
                sum += recall(c);
                n++;
            }
        }
        return sum / n;
    }

    public double weightedF1() {
        double sum = 0;
        for (int c = 0; c < counts.length; c++) {
            sum += support(c) * f1(c);
        }
        return sum / total();
    }

    /** Classes that occur in the truth. */
    public List<String> present() {
        List<String> out = new ArrayList<>();
        for (int c = 0; c < counts.length; c++) {
            if (support(c) > 0) {
                out.add(classes.get(c));
            }
        }
        return out;
    }
}
