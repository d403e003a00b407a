package org.bloomstream.job.cli;

import java.util.concurrent.Callable;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.bloomstream.job.BloomstreamJob;
import org.bloomstream.job.JobConfig;
import org.bloomstream.job.LocalClusterSettings;
import org.bloomstream.schemas.kafka.KafkaSecurityOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bloomstream job}: the Flink job against an existing Kafka cluster. */
@Command(
        name = "job",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the Flink job against an existing Kafka cluster.",
            "",
            "The topics must exist. Under `flink run` the job is submitted to that cluster;"
                    + " started directly it runs on a local MiniCluster bound to 127.0.0.1 (REST"
                    + " API without cancel, submit or CORS wildcard). The ingest gate is not part"
                    + " of the job."
        })
public final class JobCommand implements Callable<Integer> {
    @Option(
            names = "--bootstrap-servers",
            required = true,
            description = "Kafka bootstrap servers, host:port[,host:port...].")
    String bootstrapServers;

    @Option(
            names = "--group-id",
            defaultValue = "bloomstream-job",
            description = "Consumer group of the job's sources (default: ${DEFAULT-VALUE}).")
    String groupId;

    @Option(
            names = "--transactional-id-prefix",
            defaultValue = "bloomstream",
            description =
                    "Prefix of the sinks' Kafka transactional ids; unique per deployment"
                            + " (default: ${DEFAULT-VALUE}).")
    String txPrefix;

    @Mixin PipelineOptions pipeline;

    @Mixin KafkaSecurityOptions kafkaSecurity = new KafkaSecurityOptions();

    /** The job configuration these options describe. */
    public JobConfig config() {
        return pipeline.toConfig(bootstrapServers).toBuilder()
                .groupId(groupId)
                .transactionalIdPrefix(txPrefix)
                .kafkaSecurity(kafkaSecurity.security())
                .build();
    }

    @Override
    public Integer call() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (env instanceof LocalStreamEnvironment) {
            // Started directly, not by `flink run`: a local cluster, closed to the network.
            env = StreamExecutionEnvironment.createLocalEnvironment(LocalClusterSettings.closed());
        }
        BloomstreamJob.kafka(config()).build(env);
        env.execute("bloomstream");
        return 0;
    }
}
