package org.bloomstream.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The plumbing benchmark's rate window over a scripted count of classified crops. Output is read
 * committed, so it arrives a checkpoint's transaction at a time; a run small enough to be committed
 * at once must still end with a figure (it once waited out its 20-minute deadline).
 */
class SteadyStateWindowTest {

    @Test
    void allOutputInOneCommitEndsAtOnceWithTheWholeRunsRate() throws Exception {
        long[] script = {0, 0, 300};
        AtomicInteger polls = new AtomicInteger();

        PlumbingBench.Window w =
                PlumbingBench.steadyStateWindow(
                        () -> script[Math.min(polls.getAndIncrement(), script.length - 1)],
                        () -> {},
                        300,
                        null,
                        Duration.ofSeconds(30));

        assertThat(w.wholeRun()).isTrue();
        assertThat(w.crops()).isEqualTo(300);
        assertThat(w.cropsPerSecond()).isPositive();
        assertThat(polls.get()).isEqualTo(3);
    }

    @Test
    void outputInSeveralCommitsIsMeasuredBetweenTheTenthAndTheNinetiethPercentile()
            throws Exception {
        long[] script = {0, 50, 50, 150, 280, 300};
        AtomicInteger polls = new AtomicInteger();

        PlumbingBench.Window w =
                PlumbingBench.steadyStateWindow(
                        () -> script[Math.min(polls.getAndIncrement(), script.length - 1)],
                        () -> {},
                        300,
                        null,
                        Duration.ofSeconds(30));

        assertThat(w.wholeRun()).isFalse();
        assertThat(w.crops()).isEqualTo(280 - 50);
        assertThat(w.cropsPerSecond()).isPositive();
    }

    @Test
    void aRunThatStopsShortFailsAtItsDeadlineNamingTheCount() {
        assertThatThrownBy(
                        () ->
                                PlumbingBench.steadyStateWindow(
                                        () -> 120, () -> {}, 300, null, Duration.ofMillis(200)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("only 120 of 300 classified");
    }

    @Test
    void aJobThatDiedEndsTheWaitWithItsCause() {
        assertThatThrownBy(
                        () ->
                                PlumbingBench.steadyStateWindow(
                                        () -> 0,
                                        () -> {
                                            throw new IllegalStateException("job failed: boom");
                                        },
                                        300,
                                        null,
                                        Duration.ofSeconds(30)))
                .hasMessage("job failed: boom");
    }
}
