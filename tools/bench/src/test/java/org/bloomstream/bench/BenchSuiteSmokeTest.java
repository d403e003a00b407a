package org.bloomstream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job benchmarks at a tiny scale, so that {@code bloomstream bench all} keeps working: each
 * runs the real embedded runtime and must account for its crops and report figures that make sense.
 * The figures themselves are not judged here (BENCHMARKS.md is where they are read).
 */
class BenchSuiteSmokeTest {
    private static final Path HOME =
            Path.of(System.getProperty("bloomstream.home", "..")).toAbsolutePath().normalize();

    @TempDir Path dir;

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);

    @Test
    void plumbingCountsEveryCropThroughTheClassifiedTopic() throws Exception {
        List<PlumbingBench.Row> rows =
                new PlumbingBench(HOME, dir, 300, out).run(List.of("none"), List.of(1));

        System.out.print(printed.toString(StandardCharsets.UTF_8)); // for the test's report

        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).crops()).isEqualTo(300);
        assertThat(rows.get(0).cropsPerSecond()).isPositive();
        if (ThreadCpu.supported()) {
            // the job's own decode+resize CPU, scraped from its decode operators' metrics
            assertThat(rows.get(0).decodeResizeCpuMsPerCrop()).isPositive();
            assertThat(rows.get(0).ratio()).isGreaterThan(1);
        }
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("none  parallelism 1:");
    }

    @Test
    void latencyPercentilesAreOrderedAndAboveTheProducersClock() throws Exception {
        LatencyBench.Row row =
                new LatencyBench(HOME, dir, Duration.ofSeconds(1), out).run(100, 0.5, 6, 500);

        assertThat(row.samples()).isPositive();
        assertThat(row.p50()).isNotNegative();
        assertThat(row.p50()).isLessThanOrEqualTo(row.p95());
        assertThat(row.p95()).isLessThanOrEqualTo(row.p99());
        assertThat(row.p99()).isLessThanOrEqualTo(row.max());
    }

    @Test
    void alertLatencyMeasuresEveryFinishedSpecimensReport() throws Exception {
        Map<String, Object> m = new AlertLatencyBench(HOME, dir, out).run(2, 60, 200, 500);

        assertThat(m.get("reports")).isEqualTo(2);
        assertThat((Long) m.get("report_latency_p50_ms")).isNotNegative();
        assertThat((Long) m.get("report_latency_max_ms"))
                .isGreaterThanOrEqualTo((Long) m.get("report_latency_p50_ms"));
    }

    @Test
    void soakSamplesHeapStateAndLagWhileSpecimensOpenAndClose() throws Exception {
        SoakBench.Result r =
                new SoakBench(
                                new SoakBench.Options(
                                        HOME,
                                        dir.resolve("soak"),
                                        40,
                                        Duration.ofSeconds(20),
                                        Duration.ofSeconds(2),
                                        50),
                                out)
                        .run();

        assertThat(r.produced()).isEqualTo(800);
        assertThat(r.classified()).isPositive().isLessThanOrEqualTo(800);
        assertThat(r.trends())
                .extracting(SoakBench.Trend::series)
                .containsExactly("live heap MB", "state KB", "group lag", "in flight");
        // The job checkpoints every second: a size was scraped from the Prometheus reporter.
        assertThat(r.trends().get(1).max()).isPositive();
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("soak: ", "live heap");
    }

    @Test
    void aTrendIsFlatUnlessTheLastThirdOutgrowsTheFirst() {
        List<SoakBench.Sample> flat = new java.util.ArrayList<>();
        List<SoakBench.Sample> growing = new java.util.ArrayList<>();
        for (int i = 0; i < 30; i++) {
            flat.add(new SoakBench.Sample(i, i, i, 100 + (i % 3), 10, 0));
            growing.add(new SoakBench.Sample(i, i, i, 100 + 10 * i, 10, 0));
        }

        assertThat(SoakBench.trend("heap", flat, SoakBench.Sample::liveHeapMb, 32).flat()).isTrue();
        SoakBench.Trend grows = SoakBench.trend("heap", growing, SoakBench.Sample::liveHeapMb, 32);
        assertThat(grows.flat()).isFalse();
        assertThat(grows.last()).isGreaterThan(grows.first());
    }
}
