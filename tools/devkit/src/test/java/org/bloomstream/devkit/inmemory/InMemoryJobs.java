package org.bloomstream.devkit.inmemory;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.job.BloomstreamJob;
import org.bloomstream.job.JobConfig;
import org.bloomstream.schemas.Topics;

/**
 * What the in-memory job tests share: a MiniCluster with two slots and no restarts, the gate's
 * three topics filled from a synthetic scanner's emissions, the job wired to them and to collecting
 * sinks, and a run to the end of its bounded sources.
 */
final class InMemoryJobs {
    private InMemoryJobs() {}

    /** One task manager, two slots, failures surface instead of restarting. */
    static MiniClusterExtension miniCluster() {
        Configuration c = new Configuration();
        c.setString("restart-strategy.type", "none");
        return new MiniClusterExtension(
                new MiniClusterResourceConfiguration.Builder()
                        .setNumberTaskManagers(1)
                        .setNumberSlotsPerTaskManager(2)
                        .setConfiguration(c)
                        .build());
    }

    /**
     * The topics the gate would have written. The dead-letter topic stays empty: the job's own dead
     * letters reach the specimen MIL only by going round through cells.dead, which no broker closes
     * here; so only good crops go in.
     */
    record Inputs(InMemoryTopic accepted, InMemoryTopic scans, InMemoryTopic dead) {
        /** Fills the topics; {@code onCrop} sees each crop as it is sent. */
        static Inputs of(Iterable<Emission> emissions, int partitions, Consumer<Emission> onCrop) {
            Inputs in =
                    new Inputs(
                            new InMemoryTopic(Topics.CELLS_ACCEPTED.name(), partitions),
                            new InMemoryTopic(Topics.SCAN_EVENTS.name(), partitions),
                            new InMemoryTopic(Topics.CELLS_DEAD.name(), partitions));
            for (Emission e : emissions) {
                byte[] key = Topics.CELLS_ACCEPTED.serializeKey(e.specimenId());
                long now = System.currentTimeMillis();
                switch (e.type()) {
                    case SCAN_STARTED, SCAN_FINISHED ->
                            in.scans.send(
                                    key, Topics.SCAN_EVENTS.serializeValue(e.scanEvent()), now);
                    case CROP -> {
                        in.accepted.send(key, Topics.CELLS_ACCEPTED.serializeValue(e.crop()), now);
                        onCrop.accept(e);
                    }
                    case BAD_CROP -> throw new IllegalStateException("this run has no bad crops");
                }
            }
            return in;
        }

        /** The job on these topics, its outputs into {@code out} under their topic's role. */
        BloomstreamJob job(JobConfig config, CollectedOutputs out) {
            return new BloomstreamJob(
                    config,
                    accepted.source(),
                    scans.source(),
                    dead.source(),
                    out.sink("classified"),
                    out.sink("alerts"),
                    out.sink("reports"),
                    out.sink("dead"),
                    out.sink("fhir"),
                    out.sink("status"));
        }
    }

    /** Runs {@code job} until its bounded sources end; cancels it and fails past {@code bound}. */
    static void runToEnd(BloomstreamJob job, String name, Duration bound) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        job.build(env);
        JobClient client = env.executeAsync(name);
        try {
            client.getJobExecutionResult().get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            client.cancel();
            throw e;
        }
    }
}
