package org.bloomstream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.SimpleUdfStreamOperatorFactory;
import org.bloomstream.inference.decode.CropDecodeFunction;
import org.junit.jupiter.api.Test;

/**
 * Decode and embed share a chain at equal parallelism, so the 150 KB decoded crop is never
 * serialised between them (BENCHMARKS.md, "CPU per crop"); at different parallelisms they cannot,
 * and the job still builds. Only the job graph is built: no broker, no cluster.
 */
class DecodeEmbedChainTest {
    private static final Path HOME =
            Path.of(System.getProperty("bloomstream.home", "..")).toAbsolutePath().normalize();

    private static List<String> vertexNames(int parallelism, int decodeParallelism) {
        JobConfig config =
                JobConfig.defaults("127.0.0.1:9").toBuilder()
                        .embedderModel(HOME.resolve(JobConfig.FIXTURE_EMBEDDER))
                        .head(HOME.resolve(JobConfig.FIXTURE_CELL_HEAD))
                        .milModel(HOME.resolve(JobConfig.FIXTURE_MIL))
                        .parallelism(parallelism)
                        .decodeParallelism(decodeParallelism)
                        .build();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        BloomstreamJob.kafka(config).build(env);
        List<String> names = new ArrayList<>();
        for (JobVertex v : env.getStreamGraph().getJobGraph().getVertices()) {
            names.add(v.getName());
        }
        return names;
    }

    @Test
    void atEqualParallelismDecodeAndEmbedAreOneChain() {
        List<String> names = vertexNames(2, 2);

        assertThat(names)
                .anySatisfy(n -> assertThat(n).contains("decode-resize -> micro-batch-embed"));
    }

    @Test
    void withResizeInTheGraphDecodeKeepsTheDecodedSize() {
        for (boolean inGraph : new boolean[] {false, true}) {
            JobConfig config =
                    JobConfig.defaults("127.0.0.1:9").toBuilder()
                            .embedderModel(HOME.resolve(JobConfig.FIXTURE_EMBEDDER))
                            .head(HOME.resolve(JobConfig.FIXTURE_CELL_HEAD))
                            .milModel(HOME.resolve(JobConfig.FIXTURE_MIL))
                            .resizeInGraph(inGraph)
                            .build();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            BloomstreamJob.kafka(config).build(env);
            List<Boolean> decoders = new ArrayList<>();
            for (var node : env.getStreamGraph().getStreamNodes()) {
                if (node.getOperatorFactory() instanceof SimpleUdfStreamOperatorFactory<?> udf
                        && udf.getUserFunction() instanceof CropDecodeFunction decode) {
                    decoders.add(decode.resizeInGraph());
                }
            }
            assertThat(decoders).as("--resize-in-graph %s", inGraph).containsExactly(inGraph);
        }
    }

    @Test
    void atDifferentParallelismsTheyAreTwoTasks() {
        List<String> names = vertexNames(1, 2);

        assertThat(names).noneMatch(n -> n.contains("decode-resize -> micro-batch-embed"));
        assertThat(names).anyMatch(n -> n.contains("decode-resize"));
        assertThat(names).anyMatch(n -> n.startsWith("micro-batch-embed"));
    }
}
