package org.bloomstream.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.runtime.state.IncrementalRemoteKeyedStateHandle;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.bloomstream.devkit.demo.OutputTally;
import org.bloomstream.devkit.embedded.EmbeddedRuntime;
import org.bloomstream.devkit.embedded.TestJobs;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.feed.FeedProducer;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.job.BloomstreamJob;
import org.bloomstream.job.CheckpointSettings;
import org.bloomstream.job.JobConfig;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Savepoint compatibility: version 1 of the job runs on RocksDB with incremental checkpoints and is
 * stopped with a savepoint halfway through the scans; version 2, which has an extra stateless
 * operator with a new uid and every stateful operator's uid unchanged, restores it (unrestored
 * state not allowed) and finishes the scans. Specimens that span the upgrade get reports that count
 * the cells of both versions: the MIL state and the source offsets came through the savepoint.
 */
class SavepointUpgradeTest {
    /** Cells that passed version 2's new operator (same JVM as the MiniCluster). */
    static final AtomicLong SEEN_BY_V2 = new AtomicLong();

    /** Version 2's added operator: stateless, counts and passes through. */
    static final class UpgradeMarker implements MapFunction<ClassifiedCell, ClassifiedCell> {
        private static final long serialVersionUID = 1L;

        @Override
        public ClassifiedCell map(ClassifiedCell c) {
            SEEN_BY_V2.incrementAndGet();
            return c;
        }
    }

    /** Version 2's taps: the marker on the classified cells, before the MIL and the sink. */
    static final class Version2 implements BloomstreamJob.Taps {
        @Override
        public DataStream<ClassifiedCell> classified(DataStream<ClassifiedCell> cells) {
            return cells.map(new UpgradeMarker())
                    .returns(cells.getType())
                    .name("upgrade-marker-v2")
                    .uid("upgrade-marker-v2");
        }
    }

    /** The fault suite's job (fixture models, long alert timers), checkpointing to RocksDB. */
    static JobConfig config(String bootstrap, Path checkpoints) {
        return FaultRun.job(bootstrap, TestJobs.home()).toBuilder()
                .transactionalIdPrefix("upgrade-" + System.nanoTime())
                .checkpointing(CheckpointSettings.rocksDb(checkpoints.toUri().toString()))
                .build();
    }

    @Test
    void upgradedJobRestoresTheSavepointAndKeepsSpecimenState(@TempDir Path dir) throws Exception {
        SyntheticScanner scanner =
                new SyntheticScanner(
                        SyntheticScanner.Config.of(11, 4, 60).withStartTime(Instant.now()));
        List<Emission> emissions = scanner.toList();
        // Cut in the middle of a crop run, so specimens are open at the savepoint.
        int cut = emissions.size() / 2;
        List<Emission> first = emissions.subList(0, cut);
        List<Emission> second = emissions.subList(cut, emissions.size());
        Map<String, Integer> cropsBefore = new HashMap<>();
        Map<String, Integer> cropsTotal = new HashMap<>();
        for (int i = 0; i < emissions.size(); i++) {
            Emission e = emissions.get(i);
            if (e.type() == Emission.Type.CROP) {
                cropsTotal.merge(e.specimenId(), 1, Integer::sum);
                if (i < cut) {
                    cropsBefore.merge(e.specimenId(), 1, Integer::sum);
                }
            }
        }
        long spanning =
                cropsBefore.entrySet().stream()
                        .filter(e -> e.getValue() < cropsTotal.get(e.getKey()))
                        .count();
        assertThat(spanning).as("specimens open across the upgrade").isPositive();

        Path checkpoints = Files.createDirectories(dir.resolve("checkpoints"));
        Path savepoints = Files.createDirectories(dir.resolve("savepoints"));
        SEEN_BY_V2.set(0);
        try (EmbeddedRuntime rt =
                        EmbeddedRuntime.start(
                                new EmbeddedRuntime.Options(
                                        4, b -> config(b, checkpoints), false, dir.resolve("rt")));
                OutputTally tally = new OutputTally(rt.bootstrapServers());
                FeedProducer producer = new FeedProducer(rt.bootstrapServers())) {
            long firstCrops = producer.send(first, 0, null).cropsIn();
            awaitCells(rt, tally, firstCrops, 0);
            // Its keyed state (dedupe, specimen MIL) really is in RocksDB with incremental
            // checkpoints: the settings took effect, they were not just accepted.
            assertThat(CheckpointProbe.keyedStateHandles(checkpoints, Duration.ofSeconds(30)))
                    .containsOnly(IncrementalRemoteKeyedStateHandle.class);

            String savepoint = rt.stopJobWithSavepoint(savepoints, Duration.ofMinutes(2));
            assertThat(savepoint).isNotBlank();
            long before = tally.snapshot().classified();

            rt.startJob(savepoint, cfg -> BloomstreamJob.kafka(cfg).withTaps(new Version2()));
            long secondCrops = producer.send(second, 0, null).cropsIn();
            OutputTally.Snapshot s =
                    awaitCells(rt, tally, firstCrops + secondCrops, cropsTotal.size());

            assertThat(s.duplicateCells()).isZero();
            assertThat(s.duplicateReports()).isZero();
            assertThat(s.classified()).isEqualTo(firstCrops + secondCrops);
            // Version 2 saw exactly the cells after the savepoint: the sources resumed from the
            // savepoint's offsets, not from the start or the end.
            assertThat(SEEN_BY_V2.get()).isEqualTo(s.classified() - before);
            for (SpecimenReport r : s.reports().values()) {
                assertThat(r.getCellCount())
                        .as("report of %s counts the cells of both versions", r.getSpecimenId())
                        .isEqualTo((long) cropsTotal.get(r.getSpecimenId()));
            }
        }
    }

    private static OutputTally.Snapshot awaitCells(
            EmbeddedRuntime rt, OutputTally tally, long cells, int reports) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        OutputTally.Snapshot s = tally.snapshot();
        while (s.classified() + s.deadCrops() < cells || s.reports().size() < reports) {
            assertThat(System.nanoTime())
                    .as("%d of %d cells out, %d reports", s.classified(), cells, s.reports().size())
                    .isLessThan(deadline);
            rt.checkJobAlive();
            Thread.sleep(100);
            s = tally.snapshot();
        }
        return s;
    }
}
