package org.bloomstream.devkit.inmemory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.bloomstream.devkit.embedded.TestJobs;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.inference.drift.DriftSettings;
import org.bloomstream.job.BloomstreamJob;
import org.bloomstream.job.JobConfig;
import org.bloomstream.schemas.avro.ScannerDrift;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The batch-effect watch end to end: a room of four synthetic scanners through the whole job on a
 * MiniCluster (parallelism 2, no broker); one scanner's stain shifts mid-run. The drift alert must
 * name that scanner within a bounded number of its cells after the shift, and the steady scanners
 * must raise none. The served fixture head carries the drift profile ({@code bloomstream
 * fixtures}).
 */
class DriftRoomTest {
    private static final int SPECIMENS = 12; // three per scanner
    private static final int CELLS = 160;
    private static final String DRIFTING = "synth-scanner-3";
    private static final long SHIFT_AFTER = 800; // room crops before the stain shifts
    private static final DriftSettings WINDOW = new DriftSettings(32, 4, 64, 0.02);

    /**
     * The alert may come at most one window plus one bucket after the first shifted cell of the
     * scanner: the window is then all shifted cells; the bucket allows for cells of that scanner
     * reaching the operator out of capture order (two source partitions, two typing subtasks).
     */
    private static final int BOUND = WINDOW.windowCells() + WINDOW.bucketCells();

    @RegisterExtension static final MiniClusterExtension FLINK = InMemoryJobs.miniCluster();

    @Test
    void theDriftingScannerIsNamedWithinABoundAndSteadyScannersStayQuiet() throws Exception {
        SyntheticScanner room =
                new SyntheticScanner(
                                SyntheticScanner.Config.of(19, SPECIMENS, CELLS)
                                        .withStartTime(Instant.now()))
                        .withStainShift(
                                SyntheticScanner.StainShift.pinkBlue(DRIFTING, SHIFT_AFTER));
        Map<String, Integer> perScanner = new HashMap<>();
        int[] driftingBeforeShift = {0};
        long[] crops = {0};
        InMemoryJobs.Inputs in =
                InMemoryJobs.Inputs.of(
                        room,
                        4,
                        e -> {
                            String s = e.crop().getScannerId();
                            perScanner.merge(s, 1, Integer::sum);
                            if (s.equals(DRIFTING) && crops[0] < SHIFT_AFTER) {
                                driftingBeforeShift[0]++;
                            }
                            crops[0]++;
                        });
        assertThat(perScanner).hasSize(4).containsKey(DRIFTING);
        assertThat(perScanner.get(DRIFTING) - driftingBeforeShift[0])
                .as("shifted cells of the drifting scanner")
                .isGreaterThan(BOUND);

        try (CollectedOutputs out = new CollectedOutputs()) {
            BloomstreamJob job = in.job(config(), out).withDriftSink(out.sink("drift"));
            InMemoryJobs.runToEnd(job, "bloomstream-drift-room", Duration.ofMinutes(4));
            List<ScannerDrift> drift = out.get("drift");
            Map<String, List<ScannerDrift>> byScanner =
                    drift.stream().collect(Collectors.groupingBy(ScannerDrift::getScannerId));
            byScanner.forEach(
                    (s, l) ->
                            System.out.printf(
                                    "drift %s: %s%n",
                                    s,
                                    l.stream()
                                            .sorted(
                                                    Comparator.comparing(
                                                            ScannerDrift::getCellsSeen))
                                            .map(
                                                    d ->
                                                            String.format(
                                                                    java.util.Locale.ROOT,
                                                                    "%d:%.4f/%.4f%s",
                                                                    d.getCellsSeen(),
                                                                    d.getMmd2(),
                                                                    d.getMmd2Unadjusted(),
                                                                    d.getAlert() ? "!" : ""))
                                            .collect(Collectors.joining(" "))));
            assertThat(byScanner.keySet()).isEqualTo(perScanner.keySet());
            byScanner.forEach(
                    (s, l) ->
                            assertThat(l)
                                    .as("one record per bucket of %s", s)
                                    .hasSize(perScanner.get(s) / WINDOW.bucketCells()));
            for (String s : perScanner.keySet()) {
                if (!s.equals(DRIFTING)) {
                    assertThat(byScanner.get(s))
                            .as("steady scanner %s raises no drift alert", s)
                            .noneMatch(ScannerDrift::getAlert);
                }
            }
            Optional<ScannerDrift> first =
                    byScanner.get(DRIFTING).stream()
                            .filter(ScannerDrift::getAlert)
                            .min(Comparator.comparing(ScannerDrift::getCellsSeen));
            assertThat(first).as("the drifting scanner raised an alert").isPresent();
            assertThat(first.get().getReason()).contains(DRIFTING);
            final int beforeShift = driftingBeforeShift[0];
            assertThat(first.get().getCellsSeen())
                    .as("alert within %d cells of the shift", BOUND)
                    .isLessThanOrEqualTo(beforeShift + BOUND);
            assertThat(
                            byScanner.get(DRIFTING).stream()
                                    .filter(d -> d.getCellsSeen() <= beforeShift))
                    .as("no alert before the shift")
                    .noneMatch(ScannerDrift::getAlert);
        }
    }

    private static JobConfig config() {
        JobConfig fixture = TestJobs.fixtureJob("no-broker.invalid:9", "drift-room-");
        return fixture.toBuilder()
                .alertPolicy(
                        fixture.alertPolicy()
                                .withTimeouts(Duration.ofHours(1), Duration.ofHours(1)))
                .drift(WINDOW)
                .build();
    }
}
