package org.bloomstream.devkit.inmemory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.bloomstream.devkit.embedded.TestJobs;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.inference.drift.DriftSettings;
import org.bloomstream.job.BloomstreamJob;
import org.bloomstream.job.JobConfig;
import org.bloomstream.schemas.Topics;
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

    @RegisterExtension
    static final MiniClusterExtension FLINK =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .setConfiguration(flinkConfig())
                            .build());

    private static Configuration flinkConfig() {
        Configuration c = new Configuration();
        c.setString("restart-strategy.type", "none");
        return c;
    }

    @Test
    void theDriftingScannerIsNamedWithinABoundAndSteadyScannersStayQuiet() throws Exception {
        SyntheticScanner room =
                new SyntheticScanner(
                                SyntheticScanner.Config.of(19, SPECIMENS, CELLS)
                                        .withStartTime(Instant.now()))
                        .withStainShift(
                                SyntheticScanner.StainShift.pinkBlue(DRIFTING, SHIFT_AFTER));
        InMemoryTopic accepted = new InMemoryTopic(Topics.CELLS_ACCEPTED.name(), 4);
        InMemoryTopic scans = new InMemoryTopic(Topics.SCAN_EVENTS.name(), 4);
        InMemoryTopic dead = new InMemoryTopic(Topics.CELLS_DEAD.name(), 4);
        Map<String, Integer> perScanner = new HashMap<>();
        int driftingBeforeShift = 0;
        long crops = 0;
        for (Emission e : room) {
            byte[] key = Topics.CELLS_ACCEPTED.serializeKey(e.specimenId());
            long now = System.currentTimeMillis();
            switch (e.type()) {
                case SCAN_STARTED, SCAN_FINISHED ->
                        scans.send(key, Topics.SCAN_EVENTS.serializeValue(e.scanEvent()), now);
                case CROP -> {
                    accepted.send(key, Topics.CELLS_ACCEPTED.serializeValue(e.crop()), now);
                    String s = e.crop().getScannerId();
                    perScanner.merge(s, 1, Integer::sum);
                    if (s.equals(DRIFTING) && crops < SHIFT_AFTER) {
                        driftingBeforeShift++;
                    }
                    crops++;
                }
                case BAD_CROP -> throw new IllegalStateException("this run has no bad crops");
            }
        }
        assertThat(perScanner).hasSize(4).containsKey(DRIFTING);
        assertThat(perScanner.get(DRIFTING) - driftingBeforeShift)
                .as("shifted cells of the drifting scanner")
                .isGreaterThan(BOUND);

        try (CollectedOutputs out = new CollectedOutputs()) {
            BloomstreamJob job =
                    new BloomstreamJob(
                                    config(),
                                    accepted.source(),
                                    scans.source(),
                                    dead.source(),
                                    out.sink("classified"),
                                    out.sink("alerts"),
                                    out.sink("reports"),
                                    out.sink("dead"),
                                    out.sink("fhir"),
                                    out.sink("status"))
                            .withDriftSink(out.sink("drift"));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            job.build(env);
            JobClient client = env.executeAsync("bloomstream-drift-room");
            try {
                client.getJobExecutionResult().get(4, TimeUnit.MINUTES);
            } catch (TimeoutException e) {
                client.cancel();
                throw e;
            }
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
            final int beforeShift = driftingBeforeShift;
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
