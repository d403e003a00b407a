package org.bloomstream.modeltools.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The reported metrics on a confusion matrix small enough to check by hand. */
class ConfusionTest {

    /*
     * rows: true class, columns: predicted
     *           a  b  c  d    support
     *      a    4  1  0  1    6
     *      b    1  2  1  0    4
     *      c    0  0  2  0    2
     *      d    0  0  0  0    0      (never true, predicted once)
     * predicted 5  3  3  1    12
     *
     * accuracy          = (4 + 2 + 2) / 12                       = 0.666667
     * recall            a 4/6 = 0.666667, b 2/4 = 0.5, c 2/2 = 1, d undefined
     * balanced accuracy = (0.666667 + 0.5 + 1) / 3 (d has no true cell) = 0.722222
     * precision         a 4/5 = 0.8, b 2/3, c 2/3, d 0/1 = 0
     * F1                a 2*.8*.666667/1.466667 = 0.727273
     *                   b 2*.666667*.5/1.166667 = 0.571429
     *                   c 2*.666667*1/1.666667  = 0.8
     *                   d 0
     * weighted F1       = (6*0.727273 + 4*0.571429 + 2*0.8 + 0*0) / 12 = 0.687446
     */
    static Confusion handChecked() {
        return new Confusion(
                List.of("a", "b", "c", "d"),
                new long[][] {
                    {4, 1, 0, 1},
                    {1, 2, 1, 0},
                    {0, 0, 2, 0},
                    {0, 0, 0, 0}
                });
    }

    @Test
    void metricsMatchTheHandComputation() {
        Confusion c = handChecked();
        assertThat(c.total()).isEqualTo(12);
        assertThat(c.accuracy()).isCloseTo(8 / 12.0, within(1e-9));
        assertThat(c.recall(0)).isCloseTo(4 / 6.0, within(1e-9));
        assertThat(c.recall(1)).isCloseTo(0.5, within(1e-9));
        assertThat(c.recall(2)).isCloseTo(1.0, within(1e-9));
        assertThat(c.recall(3)).isNaN();
        assertThat(c.balancedAccuracy()).isCloseTo((4 / 6.0 + 0.5 + 1) / 3, within(1e-9));
        assertThat(c.balancedAccuracy()).isCloseTo(0.722222, within(1e-6));
        assertThat(c.precision(3)).isZero();
        assertThat(c.f1(0)).isCloseTo(0.727273, within(1e-6));
        assertThat(c.f1(1)).isCloseTo(0.571429, within(1e-6));
        assertThat(c.f1(2)).isCloseTo(0.8, within(1e-9));
        assertThat(c.weightedF1()).isCloseTo(0.687446, within(1e-6));
        assertThat(c.present()).containsExactly("a", "b", "c");
    }

    @Test
    void poolingAddsCounts() {
        Confusion sum = new Confusion(List.of("a", "b", "c", "d"));
        sum.addAll(handChecked());
        sum.addAll(handChecked());
        sum.add(3, 3);
        assertThat(sum.total()).isEqualTo(25);
        assertThat(sum.count(0, 0)).isEqualTo(8);
        assertThat(sum.recall(3)).isEqualTo(1.0);
    }

    @Test
    void aPerfectAndAConstantPredictor() {
        Confusion perfect = new Confusion(List.of("a", "b"), new long[][] {{3, 0}, {0, 1}});
        assertThat(perfect.accuracy()).isEqualTo(1.0);
        assertThat(perfect.balancedAccuracy()).isEqualTo(1.0);
        assertThat(perfect.weightedF1()).isEqualTo(1.0);
        // Always "a": accuracy is a's share, balanced accuracy 1 / classes.
        Confusion majority = new Confusion(List.of("a", "b"), new long[][] {{3, 0}, {1, 0}});
        assertThat(majority.accuracy()).isEqualTo(0.75);
        assertThat(majority.balancedAccuracy()).isEqualTo(0.5);
        // F1(a) = 2 * 0.75 * 1 / 1.75 = 0.857143, weighted by 3 of 4.
        assertThat(majority.weightedF1()).isCloseTo(0.75 * 2 * 0.75 / 1.75, within(1e-9));
    }
}
