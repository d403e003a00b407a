package org.bloomstream.devkit.embedded;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.bloomstream.aggregation.alert.AlertPolicy;
import org.bloomstream.inference.batch.BatchPolicy;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.job.JobConfig;

/** The job the end-to-end tests run: the shipped fixture models at parallelism 2. */
public final class TestJobs {
    private TestJobs() {}

    /** The repository root (surefire sets {@code bloomstream.home}). */
    public static Path home() {
        return Path.of(System.getProperty("bloomstream.home", "..")).toAbsolutePath().normalize();
    }

    /**
     * Fixture models, half-second checkpoints, small batches, and an alert policy whose timers (5
     * min finish grace, 5 min inactivity) never fire within a test run: every specimen of these
     * tests closes by its scan-finished count. A 20 s grace used to fire on a busy machine when a
     * specimen's last cells lagged behind its scan-finished event, closing it short.
     *
     * @param transactionalIdPrefix a prefix of the test's own, so runs never share transactions
     */
    public static JobConfig fixtureJob(String bootstrap, String transactionalIdPrefix) {
        Path home = home();
        return JobConfig.defaults(bootstrap).toBuilder()
                .parallelism(2)
                .checkpointInterval(Duration.ofMillis(500))
                .embedderModel(home.resolve(JobConfig.FIXTURE_EMBEDDER))
                .head(home.resolve(JobConfig.FIXTURE_CELL_HEAD))
                .milModel(home.resolve(JobConfig.FIXTURE_MIL))
                .execution(ExecutionConfig.cpu(1))
                .batch(new BatchPolicy(16, Duration.ofMillis(20)))
                .transactionalIdPrefix(transactionalIdPrefix + System.nanoTime())
                .alertPolicy(
                        new AlertPolicy(
                                50,
                                0.9,
                                Map.of(),
                                20,
                                Duration.ofMinutes(5),
                                Duration.ofMinutes(5),
                                5))
                .build();
    }
}
