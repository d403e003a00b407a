package org.bloomstream.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The plumbing benchmark's rate window over a scripted count of classified crops. Output is read
 * committed, so it arrives a checkpoint's transaction at a time; a run small enough to be committed
 * at once must still end with a figure (it once waited out its 20-minute deadline).
 */
class SteadyStateWindowTest {

    /** Classified counts poll by poll, the last one repeated; {@code polls} counts the polls. */
    private static PlumbingBench.Progress scripted(long[] script, AtomicInteger polls) {
        return () -> script[Math.min(polls.getAndIncrement(), script.length - 1)];
    }

    @Test
    void allOutputInOneCommitEndsAtOnceWithTheWholeRunsRate() throws Exception {
        long[] script = {0, 0, 300};
        AtomicInteger polls = new AtomicInteger();

        PlumbingBench.Window w =
                PlumbingBench.steadyStateWindow(
                        scripted(script, polls), () -> {}, 300, null, null, Duration.ofSeconds(30));

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
        // The job's decode operators: 2 ms of CPU per crop before the window, 1.5 ms in it.
        double[][] meter = {{0, 0}, {120e6, 60}, {120e6 + 1.5e6 * 240, 300}};
        AtomicInteger reads = new AtomicInteger();

        PlumbingBench.Window w =
                PlumbingBench.steadyStateWindow(
                        scripted(script, polls),
                        () -> {},
                        300,
                        null,
                        () -> meter[reads.getAndIncrement()],
                        Duration.ofSeconds(30));

        assertThat(w.wholeRun()).isFalse();
        assertThat(w.crops()).isEqualTo(280 - 50);
        assertThat(w.cropsPerSecond()).isPositive();
        assertThat(reads.get()).isEqualTo(3);
        assertThat(w.decodedInWindow(300)).isEqualTo(240);
        assertThat(w.pixelMs(300)).isCloseTo(1.5, within(1e-9));
    }

    @Test
    void warmUpCropsAreLeftOutOfTheWindow() throws Exception {
        // 1,000 warm-up crops, then 300 measured: the window runs from 1,030 to 1,270.
        long[] script = {0, 400, 1000, 1029, 1040, 1100, 1260, 1280, 1300};
        AtomicInteger polls = new AtomicInteger();
        double[][] meter = {{0, 0}, {4e9, 1040}, {4e9 + 1.2e6 * 240, 1280}};
        AtomicInteger reads = new AtomicInteger();

        PlumbingBench.Window w =
                PlumbingBench.steadyStateWindow(
                        scripted(script, polls),
                        () -> {},
                        1000,
                        300,
                        null,
                        () -> meter[reads.getAndIncrement()],
                        Duration.ofSeconds(30));

        assertThat(w.wholeRun()).isFalse();
        assertThat(w.crops()).isEqualTo(1280 - 1040);
        assertThat(polls.get()).isEqualTo(8);
        assertThat(w.decodedInWindow(300)).isEqualTo(240);
        assertThat(w.pixelMs(300)).isCloseTo(1.2, within(1e-9));
    }

    @Test
    void measuredCropsCommittedAtOnceAfterAWarmUpCountOnlyThemselves() throws Exception {
        long[] script = {1000, 1000, 1300};
        AtomicInteger polls = new AtomicInteger();

        PlumbingBench.Window w =
                PlumbingBench.steadyStateWindow(
                        scripted(script, polls),
                        () -> {},
                        1000,
                        300,
                        null,
                        null,
                        Duration.ofSeconds(30));

        assertThat(w.wholeRun()).isTrue();
        assertThat(w.crops()).isEqualTo(300);
    }

    @Test
    void theWarmUpWaitEndsWhenItsCropsAreClassifiedAndStopsWithADeadJob() throws Exception {
        AtomicInteger polls = new AtomicInteger();
        PlumbingBench.awaitClassified(
                scripted(new long[] {0, 500, 999, 1000}, polls), () -> {}, 1000);
        assertThat(polls.get()).isEqualTo(4);

        assertThatThrownBy(
                        () ->
                                PlumbingBench.awaitClassified(
                                        () -> 10,
                                        () -> {
                                            throw new IllegalStateException("job failed: boom");
                                        },
                                        1000))
                .hasMessage("job failed: boom");
    }

    @Test
    void decodersThatFinishedBeforeTheWindowAreMeasuredOverTheWholeRun() {
        // 300 crops, 240 of them decoded before the first read (with a cold JIT, 3 ms each)
        double[] before = {240 * 3e6, 240};
        double[] after = {240 * 3e6 + 60 * 1.5e6, 300};

        assertThat(window(before, after).decodedInWindow(300)).isEqualTo(60);
        assertThat(window(before, after).pixelMs(300)).isCloseTo(1.5, within(1e-9));
        assertThat(window(after, after).decodedInWindow(300)).isEqualTo(-1);
        assertThat(window(after, after).pixelMs(300)).isCloseTo(2.7, within(1e-9));
        assertThat(window(null, after).pixelMs(300)).isCloseTo(2.7, within(1e-9));
        assertThat(window(null, null).pixelMs(300)).isEqualTo(-1);
    }

    private static PlumbingBench.Window window(double[] pixelsFrom, double[] pixelsTo) {
        return new PlumbingBench.Window(300, 1, null, null, 0, -1, pixelsFrom, pixelsTo, false);
    }

    @Test
    void aRunThatStopsShortFailsAtItsDeadlineNamingTheCount() {
        assertThatThrownBy(
                        () ->
                                PlumbingBench.steadyStateWindow(
                                        () -> 120,
                                        () -> {},
                                        300,
                                        null,
                                        null,
                                        Duration.ofMillis(200)))
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
                                        null,
                                        Duration.ofSeconds(30)))
                .hasMessage("job failed: boom");
    }
}
