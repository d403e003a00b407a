package org.bloomstream.modeltools.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FoldsTest {

    @Test
    void ungroupedFoldsAreStratifiedToWithinOneCellPerClass() {
        List<String> labels = new ArrayList<>();
        int[] sizes = {207, 88, 33, 20, 3};
        for (int c = 0; c < sizes.length; c++) {
            for (int i = 0; i < sizes[c]; i++) {
                labels.add("class" + c);
            }
        }
        java.util.Collections.shuffle(labels, new Random(3));
        int[] fold = Folds.assign(labels, null, 5, 0);
        for (int c = 0; c < sizes.length; c++) {
            int[] perFold = new int[5];
            for (int i = 0; i < fold.length; i++) {
                if (labels.get(i).equals("class" + c)) {
                    perFold[fold[i]]++;
                }
            }
            int min = java.util.Arrays.stream(perFold).min().orElseThrow();
            int max = java.util.Arrays.stream(perFold).max().orElseThrow();
            assertThat(max - min)
                    .as("class%d per fold %s", c, java.util.Arrays.toString(perFold))
                    .isLessThanOrEqualTo(1);
        }
        int[] size = new int[5];
        for (int f : fold) {
            size[f]++;
        }
        for (int s : size) {
            assertThat(s).isBetween(70, 71);
        }
        assertThat(Folds.assign(labels, null, 5, 0)).containsExactly(fold);
        assertThat(Folds.warnings(labels, null, 5))
                .containsExactly("class4 has 3 cell(s), fewer than 5 folds");
    }

    @Test
    void aGroupNeverSpansTwoFolds() {
        // 40 patients with 3..30 cells each, each patient mostly one class.
        Random r = new Random(5);
        List<String> labels = new ArrayList<>();
        List<String> groups = new ArrayList<>();
        for (int p = 0; p < 40; p++) {
            int n = 3 + r.nextInt(28);
            for (int i = 0; i < n; i++) {
                labels.add("c" + (r.nextDouble() < 0.7 ? p % 4 : r.nextInt(4)));
                groups.add("patient-" + p);
            }
        }
        int[] fold = Folds.assign(labels, groups, 5, 1);
        Map<String, Set<Integer>> foldsOf = new HashMap<>();
        for (int i = 0; i < fold.length; i++) {
            foldsOf.computeIfAbsent(groups.get(i), g -> new java.util.HashSet<>()).add(fold[i]);
        }
        assertThat(foldsOf.values()).allSatisfy(s -> assertThat(s).hasSize(1));
        // Every fold gets patients, and every class in it.
        for (int f = 0; f < 5; f++) {
            Set<String> classes = new java.util.HashSet<>();
            for (int i = 0; i < fold.length; i++) {
                if (fold[i] == f) {
                    classes.add(labels.get(i));
                }
            }
            assertThat(classes).as("fold %d", f).hasSize(4);
        }
    }

    @Test
    void tooFewGroupsIsAnError() {
        assertThatThrownBy(() -> Folds.assign(List.of("a", "b", "a"), List.of("p", "q", "p"), 3, 0))
                .hasMessageContaining("cannot make 3 folds from 2 groups");
    }
}
