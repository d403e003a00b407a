package org.bloomstream.inference.batch;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BusyClockTest {
    long now;

    @Test
    void overlappingCallsCountOnceAndEachReadCoversItsOwnInterval() {
        BusyClock c = new BusyClock(() -> now);
        now = 100;
        c.start();
        now = 150;
        c.start(); // a second call overlaps the first
        now = 200;
        c.stop();
        now = 300;
        c.stop(); // busy 100..300
        now = 400;
        assertThat(c.fractionSinceLastRead()).isEqualTo(0.5); // 200 of 400
        now = 500;
        c.start();
        now = 600; // still running at the read
        assertThat(c.fractionSinceLastRead()).isEqualTo(0.5); // 100 of 200
        now = 700;
        assertThat(c.fractionSinceLastRead()).isEqualTo(1.0);
        c.stop();
        now = 800;
        assertThat(c.fractionSinceLastRead()).isEqualTo(0.0);
    }
}
