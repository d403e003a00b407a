package org.bloomstream.faults;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bloomstream.devkit.demo.OutputTally;
import org.bloomstream.devkit.embedded.EmbeddedRuntime;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.feed.FeedProducer;
import org.bloomstream.schemas.avro.SpecimenReport;

/**
 * The failure-free run: the same crops, unpaced, on a fresh runtime with the default checkpoint
 * setup. Its final reports are what the faulted run's must equal.
 */
final class ReferenceRun {
    private final FaultRun.Options options;

    ReferenceRun(FaultRun.Options options) {
        this.options = options;
    }

    /** Feeds {@code feed} ({@code crops} crops) and returns the final report per specimen. */
    Map<String, SpecimenReport> run(Iterable<Emission> feed, long crops) throws Exception {
        Path dir = options.workDir().resolve("reference");
        ExecutorService feeder = Executors.newSingleThreadExecutor();
        try (EmbeddedRuntime rt =
                        EmbeddedRuntime.start(
                                new EmbeddedRuntime.Options(
                                        4,
                                        b ->
                                                options.job().apply(b).toBuilder()
                                                        .transactionalIdPrefix(
                                                                "reference-" + System.nanoTime())
                                                        .build(),
                                        false,
                                        dir));
                OutputTally tally = new OutputTally(rt.bootstrapServers());
                FeedProducer producer = new FeedProducer(rt.bootstrapServers())) {
            Future<FeedProducer.Sent> sent = feeder.submit(() -> producer.send(feed, 0, null));
            long deadline = System.nanoTime() + options.timeout().toNanos();
            while (true) {
                rt.checkJobAlive();
                OutputTally.Snapshot s = tally.snapshot();
                if (sent.isDone()
                        && s.classified() + s.deadCrops() >= sent.get().cropsIn()
                        && s.reports().size() >= options.specimens()) {
                    if (s.duplicateCells() > 0 || s.duplicateReports() > 0) {
                        throw new IllegalStateException("the reference run itself has duplicates");
                    }
                    return s.reports();
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "the reference run did not finish: "
                                    + (s.classified() + s.deadCrops())
                                    + " of "
                                    + crops
                                    + " crops out, "
                                    + s.reports().size()
                                    + " reports");
                }
                Thread.sleep(200);
            }
        } finally {
            feeder.shutdownNow();
        }
    }
}
