package org.bloomstream.modeltools.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Folds checked against scikit-learn 1.2's {@code StratifiedKFold(k).split(X, y)} (printed by
 * {@code python3 -c ...} when this test was written); the oracle test covers real data sets.
 */
class StratifiedKFoldTest {
    private static List<String> labels(String s) {
        return Arrays.asList(s.split(""));
    }

    @Test
    void matchesScikitLearnOnMixedOrder() {
        assertThat(StratifiedKFold.testFolds(labels("bbaabacccbcaacbbc"), 3))
                .containsExactly(0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2);
    }

    @Test
    void matchesScikitLearnWithARareClass() {
        assertThat(StratifiedKFold.testFolds(labels("aaaaaabbbbbbbbbbbbbbc"), 5))
                .containsExactly(0, 0, 1, 2, 3, 4, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 0);
        assertThat(StratifiedKFold.warnings(labels("aaaaaabbbbbbbbbbbbbbc"), 5)).hasSize(1);
    }

    @Test
    void refusesWhereScikitLearnRaises() {
        assertThatThrownBy(() -> StratifiedKFold.testFolds(labels("aabbcc"), 5))
                .hasMessageContaining("number of members in each class");
        assertThatThrownBy(() -> StratifiedKFold.testFolds(labels("aaa"), 5))
                .hasMessageContaining("greater than the number of samples");
    }
}
