package org.bloomstream.modeltools.eval;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * scikit-learn's {@code StratifiedKFold(n_splits, shuffle=False)}, sample for sample: the folds
 * DinoBloom's cell-typing evaluation uses. A port of {@code _make_test_folds} in scikit-learn 1.2:
 * classes are numbered in order of first appearance, the sorted class codes are dealt round-robin
 * to the folds to decide how many cells of each class each fold gets, and then each class's cells,
 * in data order, fill fold 0 first, then fold 1, and so on. No shuffling and no groups: the folds
 * depend only on the labels and their order.
 */
public final class StratifiedKFold {
    private StratifiedKFold() {}

    /**
     * @return the test fold (0..k-1) of every sample
     * @throws IllegalArgumentException where scikit-learn raises: fewer than 2 folds, more folds
     *     than samples, or every class smaller than the number of folds
     */
    public static int[] testFolds(List<String> labels, int k) {
        int n = labels.size();
        if (k < 2) {
            throw new IllegalArgumentException("need at least 2 folds, was " + k);
        }
        if (k > n) {
            throw new IllegalArgumentException(
                    "cannot have number of splits n_splits="
                            + k
                            + " greater than the number of"
                            + " samples: n_samples="
                            + n);
        }
        // Classes by first appearance (scikit-learn's y_encoded).
        Map<String, Integer> code = new LinkedHashMap<>();
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = code.computeIfAbsent(labels.get(i), l -> code.size());
        }
        int c = code.size();
        int[] counts = new int[c];
        for (int v : y) {
            counts[v]++;
        }
        boolean allSmaller = true;
        for (int v : counts) {
            allSmaller &= k > v;
        }
        if (allSmaller) {
            throw new IllegalArgumentException(
                    "n_splits="
                            + k
                            + " cannot be greater than the number of members in each class");
        }
        // y_order = sort(y); allocation[f][class] = bincount(y_order[f::k]).
        int[] order = new int[n];
        int pos = 0;
        for (int v = 0; v < c; v++) {
            for (int j = 0; j < counts[v]; j++) {
                order[pos++] = v;
            }
        }
        int[][] allocation = new int[k][c];
        for (int i = 0; i < n; i++) {
            allocation[i % k][order[i]]++;
        }
        int[] fold = new int[n];
        int[] nextFold = new int[c];
        int[] usedInFold = new int[c];
        for (int i = 0; i < n; i++) {
            int v = y[i];
            while (usedInFold[v] == allocation[nextFold[v]][v]) {
                nextFold[v]++;
                usedInFold[v] = 0;
            }
            fold[i] = nextFold[v];
            usedInFold[v]++;
        }
        return fold;
    }

    /** scikit-learn's warning when a class has fewer members than folds, or none. */
    public static List<String> warnings(List<String> labels, int k) {
        Map<String, Integer> counts = new HashMap<>();
        for (String l : labels) {
            counts.merge(l, 1, Integer::sum);
        }
        int least = counts.values().stream().mapToInt(Integer::intValue).min().orElse(0);
        List<String> out = new ArrayList<>();
        if (k > least) {
            out.add(
                    "the least populated class has only "
                            + least
                            + " members, fewer than "
                            + k
                            + " folds (scikit-learn warns the same)");
        }
        return out;
    }
}
