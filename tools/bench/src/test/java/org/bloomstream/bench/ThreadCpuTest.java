package org.bloomstream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.bloomstream.bench.ThreadCpu.Owner;
import org.junit.jupiter.api.Test;

/** Thread names as the embedded runtime gives them (taken from a {@code --threads} listing). */
class ThreadCpuTest {
    private final ThreadCpu cpu = new ThreadCpu("plumb-123", "bloomstream-gate");

    @Test
    void flinkTaskThreadsFetchersAndTheJobsProducersAreTheJob() {
        assertThat(cpu.owner("Source: accepted-crops -> decode-resize (2/2)#0"))
                .isEqualTo(Owner.JOB);
        assertThat(
                        cpu.owner(
                                "specimen-mil -> (sink-alerts: Writer -> sink-alerts: Committer) (1/2)#0"))
                .isEqualTo(Owner.JOB);
        assertThat(cpu.owner("Source Data Fetcher for Source: accepted-crops (1/2)#0"))
                .isEqualTo(Owner.JOB);
        assertThat(
                        cpu.owner(
                                "kafka-producer-network-thread |"
                                        + " producer-plumb-123-cells.classified-1-7"))
                .isEqualTo(Owner.JOB);
    }

    @Test
    void theGateTheBrokerAndTheBenchAreApart() {
        assertThat(cpu.owner("bloomstream-gate-12e1-StreamThread-1")).isEqualTo(Owner.GATE);
        assertThat(
                        cpu.owner(
                                "kafka-producer-network-thread |"
                                        + " bloomstream-gate-12e1-StreamThread-1-producer"))
                .isEqualTo(Owner.GATE);
        assertThat(cpu.owner("data-plane-kafka-network-thread-0-EXTERNAL-PLAINTEXT-0"))
                .isEqualTo(Owner.BROKER);
        assertThat(cpu.owner("kafka-producer-network-thread | producer-1")).isEqualTo(Owner.BENCH);
        assertThat(cpu.owner("bench-decode-sampler")).isEqualTo(Owner.BENCH);
        assertThat(cpu.owner("flink-pekko.actor.default-dispatcher-5"))
                .isEqualTo(Owner.FLINK_RUNTIME);
    }

    @Test
    void cpuOfABusyThreadIsCountedForItsOwner() throws Exception {
        ThreadCpu.Snapshot from = ThreadCpu.snapshot();
        long x = 0;
        long until = System.nanoTime() + 50_000_000L;
        while (System.nanoTime() < until) {
            x += Long.numberOfTrailingZeros(x + System.nanoTime());
        }
        ThreadCpu.Usage u = cpu.between(from, ThreadCpu.snapshot());

        assertThat(x).isPositive();
        // "main" in the launcher, a surefire worker here: either way some owner got the time.
        assertThat(u.nanos().values().stream().mapToLong(Long::longValue).sum()).isPositive();
    }

    @Test
    void theJobsThreadsOfOneKindSumUpAcrossSubtasksAndProducers() {
        assertThat(cpu.kind("Source: accepted-crops -> decode-resize (2/2)#0"))
                .isEqualTo(cpu.kind("Source: accepted-crops -> decode-resize (1/2)#0"))
                .isEqualTo("Source: accepted-crops -> decode-resize (#/#)##");
        assertThat(
                        cpu.kind(
                                "kafka-producer-network-thread | producer-plumb-123-cells.classified-1-7"))
                .isEqualTo(
                        cpu.kind(
                                "kafka-producer-network-thread |"
                                        + " producer-plumb-123-cells.classified-0-12"))
                .isEqualTo("kafka-producer-network-thread | producer-<job>-cells.classified-#-#");
        assertThat(cpu.kind("specimen-mil (1/2)#0"))
                .isNotEqualTo(cpu.kind("scanner-drift (1/2)#0"));
    }

    @Test
    void usageListsOnlyTheJobsThreadsByKind() {
        ThreadCpu.Snapshot from =
                new ThreadCpu.Snapshot(
                        java.util.Map.of(1L, 0L, 2L, 0L, 3L, 0L),
                        java.util.Map.of(
                                1L, "Source: a (1/2)#0", 2L, "Source: a (2/2)#0", 3L, "bench-x"),
                        0);
        ThreadCpu.Snapshot to =
                new ThreadCpu.Snapshot(
                        java.util.Map.of(1L, 3_000_000L, 2L, 1_000_000L, 3L, 5_000_000L),
                        from.names(),
                        9_000_000L);

        ThreadCpu.Usage u = cpu.between(from, to);

        assertThat(u.jobKinds()).hasSize(1);
        assertThat(u.jobKinds().get(0).getKey()).isEqualTo("Source: a (#/#)##");
        assertThat(u.jobKinds().get(0).getValue()).isEqualTo(4_000_000L);
        assertThat(u.nanos().get(Owner.JOB)).isEqualTo(4_000_000L);
        assertThat(u.nanos().get(Owner.BENCH)).isEqualTo(5_000_000L);
    }
}
