package org.bloomstream.devkit.inmemory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.bloomstream.devkit.embedded.TestJobs;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.job.BloomstreamJob;
import org.bloomstream.job.JobConfig;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code --resize-in-graph} through the whole job: the same crops, resized by decode on the CPU
 * (Pillow's filter) or by the model's graph, give the same embeddings (within 1e-4, issue 18's
 * parity bound) and the same cell types. The synthetic scanner's crops come in several sizes, so
 * the micro-batcher must split its batches by source size.
 */
class ResizeInGraphJobTest {
    private static final int SPECIMENS = 2;
    private static final int CELLS = 40;

    @RegisterExtension static final MiniClusterExtension FLINK = InMemoryJobs.miniCluster();

    @Test
    void resizingInTheGraphGivesTheEmbeddingsAndTypesOfResizingInDecode() throws Exception {
        List<Emission> emissions =
                new SyntheticScanner(
                                SyntheticScanner.Config.of(29, SPECIMENS, CELLS)
                                        .withStartTime(Instant.now()))
                        .toList();
        Map<String, ClassifiedCell> cpu = run(emissions, false);
        Map<String, ClassifiedCell> graph = run(emissions, true);

        assertThat(cpu).hasSize(SPECIMENS * CELLS);
        assertThat(graph.keySet()).isEqualTo(cpu.keySet());
        for (var e : cpu.entrySet()) {
            ClassifiedCell a = e.getValue();
            ClassifiedCell b = graph.get(e.getKey());
            assertThat(b.getCellType()).as(e.getKey()).isEqualTo(a.getCellType());
            List<Float> x = a.getEmbedding();
            List<Float> y = b.getEmbedding();
            assertThat(y).as(e.getKey()).hasSameSizeAs(x);
            double worst = 0;
            for (int i = 0; i < x.size(); i++) {
                worst = Math.max(worst, Math.abs(x.get(i) - y.get(i)));
            }
            assertThat(worst).as("largest embedding difference of %s", e.getKey()).isLessThan(1e-4);
        }
    }

    private static Map<String, ClassifiedCell> run(List<Emission> emissions, boolean inGraph)
            throws Exception {
        InMemoryJobs.Inputs in = InMemoryJobs.Inputs.of(emissions, 2, e -> {});
        JobConfig fixture = TestJobs.fixtureJob("no-broker.invalid:9", "resize-in-graph-");
        JobConfig config =
                fixture.toBuilder()
                        .emitEmbeddings(true)
                        .resizeInGraph(inGraph)
                        .alertPolicy(
                                fixture.alertPolicy()
                                        .withTimeouts(Duration.ofHours(1), Duration.ofHours(1)))
                        .build();
        try (CollectedOutputs out = new CollectedOutputs()) {
            BloomstreamJob job = in.job(config, out);
            InMemoryJobs.runToEnd(job, "resize-in-graph-" + inGraph, Duration.ofMinutes(3));
            assertThat(out.<Object>get("dead")).as("dead letters").isEmpty();
            Map<String, ClassifiedCell> byId = new HashMap<>();
            for (ClassifiedCell c : out.<ClassifiedCell>get("classified")) {
                assertThat(byId.put(c.getSpecimenId() + "/" + c.getCellId(), c))
                        .as("classified once")
                        .isNull();
            }
            return byId;
        }
    }
}
