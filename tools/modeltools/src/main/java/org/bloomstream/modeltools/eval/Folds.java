package org.bloomstream.modeltools.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Stratified, grouped k-fold assignment: every sample of a group (a patient, a smear) lands in the
 * same fold, so no fold is tested on a group it was also fitted on, and each fold's class mix is as
 * close to the whole set's as the groups allow.
 *
 * <p>The greedy algorithm of scikit-learn's {@code StratifiedGroupKFold(shuffle=True)}: groups are
 * shuffled (seeded), then ordered by how concentrated their labels are (the standard deviation of
 * their class counts, largest first), and each goes to the fold where the per-class spread of fold
 * shares (each class's count per fold divided by its total) grows least, ties to the smaller fold.
 * Ungrouped samples are groups of one, and then this is plain stratified k-fold. The assignments
 * are not byte-for-byte scikit-learn's (another random generator), only the method.
 *
 * <p>A class with fewer groups than folds cannot be in every test fold; its folds then have no test
 * cell of it (and, when it has one group, a training set without it). scikit-learn warns in that
 * case; {@link #warnings} says the same.
 */
public final class Folds {
    private Folds() {}

    /**
     * @param labels one class per sample
     * @param groups one group per sample; a null entry (or a null list) makes the sample its own
     *     group
     * @param k number of folds, at least 2
     * @return the fold (0..k-1) of every sample
     */
    public static int[] assign(List<String> labels, List<String> groups, int k, long seed) {
        int n = labels.size();
        if (k < 2) {
            throw new IllegalArgumentException("need at least 2 folds, was " + k);
        }
        List<String> classes = new ArrayList<>(new java.util.TreeSet<>(labels));
        Map<String, List<Integer>> byGroup = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String g = groups != null ? groups.get(i) : null;
            byGroup.computeIfAbsent(g != null ? "g:" + g : "i:" + i, x -> new ArrayList<>()).add(i);
        }
        if (byGroup.size() < k) {
            throw new IllegalArgumentException(
                    "cannot make " + k + " folds from " + byGroup.size() + " groups");
        }
        int c = classes.size();
        List<int[]> groupCounts = new ArrayList<>();
        List<List<Integer>> members = new ArrayList<>(byGroup.values());
        for (List<Integer> m : members) {
            int[] counts = new int[c];
            for (int i : m) {
                counts[classes.indexOf(labels.get(i))]++;
            }
            groupCounts.add(counts);
        }
        int[] total = new int[c];
        for (int[] g : groupCounts) {
            for (int j = 0; j < c; j++) {
                total[j] += g[j];
            }
        }
        List<Integer> order = new ArrayList<>();
        for (int g = 0; g < members.size(); g++) {
            order.add(g);
        }
        Collections.shuffle(order, new Random(seed));
        // Stable sort keeps the shuffled order among equally concentrated groups.
        order.sort((a, b) -> Double.compare(std(groupCounts.get(b)), std(groupCounts.get(a))));

        double[][] foldCounts = new double[k][c];
        int[] foldSize = new int[k];
        int[] fold = new int[n];
        for (int g : order) {
            int[] counts = groupCounts.get(g);
            int best = -1;
            double bestEval = Double.POSITIVE_INFINITY;
            for (int f = 0; f < k; f++) {
                for (int j = 0; j < c; j++) {
                    foldCounts[f][j] += counts[j];
                }
                double eval = 0;
                for (int j = 0; j < c; j++) {
                    double[] share = new double[k];
                    for (int ff = 0; ff < k; ff++) {
                        share[ff] = foldCounts[ff][j] / total[j];
                    }
                    eval += std(share);
                }
                eval /= c;
                for (int j = 0; j < c; j++) {
                    foldCounts[f][j] -= counts[j];
                }
                // Near-equal spreads (float noise from summation order) count as equal, and the
                // smaller fold wins: that is what keeps singleton groups dealt round-robin.
                boolean close =
                        best >= 0 && Math.abs(eval - bestEval) <= 1e-8 + 1e-5 * Math.abs(bestEval);
                if (best < 0
                        || (!close && eval < bestEval)
                        || (close && foldSize[f] < foldSize[best])) {
                    best = f;
                    bestEval = eval;
                }
            }
            for (int j = 0; j < c; j++) {
                foldCounts[best][j] += counts[j];
            }
            for (int i : members.get(g)) {
                fold[i] = best;
                foldSize[best]++;
            }
        }
        return fold;
    }

    /** Classes that cannot be in every fold's test set (fewer groups than folds). */
    public static List<String> warnings(List<String> labels, List<String> groups, int k) {
        Map<String, java.util.Set<String>> groupsOf = new java.util.TreeMap<>();
        for (int i = 0; i < labels.size(); i++) {
            String g = groups != null && groups.get(i) != null ? groups.get(i) : "#" + i;
            groupsOf.computeIfAbsent(labels.get(i), x -> new java.util.HashSet<>()).add(g);
        }
        List<String> out = new ArrayList<>();
        groupsOf.forEach(
                (label, gs) -> {
                    if (gs.size() < k) {
                        out.add(
                                label
                                        + " has "
                                        + gs.size()
                                        + (groups != null ? " group(s)" : " cell(s)")
                                        + ", fewer than "
                                        + k
                                        + " folds");
                    }
                });
        return out;
    }

    private static double std(int[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return std(d);
    }

    private static double std(double[] v) {
        double m = 0;
        for (double x : v) {
            m += x;
        }
        m /= v.length;
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / v.length);
    }
}
