package org.bloomstream.devkit.fuzz;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.bloomstream.devkit.demo.OutputTally;
import org.bloomstream.devkit.embedded.EmbeddedRuntime;
import org.bloomstream.job.JobConfig;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.bloomstream.schemas.kafka.ClientSettings;

/**
 * Feeds {@code count} fuzzed records into {@code cells.raw} of an embedded broker with the real
 * gate and the Flink job on a MiniCluster (no restarts: a failure must show), then accounts for
 * every one of them from what the pipeline published, read with {@code read_committed}:
 *
 * <ul>
 *   <li>classified on {@code cells.classified} (each cell id once), or
 *   <li>dead-lettered on {@code cells.dead} by the gate or the job, with a reason, a detail and a
 *       stage, each source record at most once;
 *   <li>and the two add up to the number fed.
 * </ul>
 *
 * A crash is a job that stopped, a gate that left RUNNING, or a gate stream thread that died.
 */
public final class FuzzRun {
    /**
     * What to run.
     *
     * @param seed the fuzzer's seed; the same seed and seed crops give the same records
     * @param count records to feed
     * @param realCrops a folder of real crops to mutate as well (read in place), or null
     * @param timeout give up waiting for outcomes after this long
     * @param workDir broker and gate files; deleted at the end
     * @param job the job's configuration, given the broker's address
     */
    public record Options(
            long seed,
            int count,
            Path realCrops,
            Duration timeout,
            Path workDir,
            Function<String, JobConfig> job) {}

    private final Options options;
    private final PrintStream out;

    public FuzzRun(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /** Runs and returns the tally; {@link FuzzTally#line()} is printed as the last line. */
    public FuzzTally run() throws Exception {
        long seed = options.seed();
        int count = options.count();
        List<FuzzSeeds.Seed> seeds = new ArrayList<>(FuzzSeeds.synthetic(seed));
        Path real = options.realCrops();
        if (real != null && Files.isDirectory(real)) {
            List<FuzzSeeds.Seed> r = FuzzSeeds.real(real, seed, 24);
            seeds.addAll(r);
            out.printf(
                    "fuzz: %d synthetic and %d real seed crops%n",
                    seeds.size() - r.size(), r.size());
        } else {
            out.printf(
                    "fuzz: no real crops (%s not found); %d synthetic seed crops only%n",
                    real, seeds.size());
        }
        CropFuzzer fuzzer = new CropFuzzer(seed, seeds);
        FuzzTally tally = new FuzzTally(seed, count);
        long started = System.nanoTime();
        try (EmbeddedRuntime rt =
                        EmbeddedRuntime.start(
                                new EmbeddedRuntime.Options(
                                        2, options.job(), false, options.workDir()));
                OutputTally outputs = new OutputTally(rt.bootstrapServers())) {
            ConcurrentLinkedQueue<String> sendFailures = new ConcurrentLinkedQueue<>();
            try (KafkaProducer<byte[], byte[]> producer =
                    new KafkaProducer<>(ClientSettings.producer(rt.bootstrapServers()))) {
                for (int i = 0; i < count; i++) {
                    CropFuzzer.Case c = fuzzer.next();
                    String what = "case " + c.index() + " (" + c.kind() + ")";
                    producer.send(
                            new ProducerRecord<>(Topics.CELLS_RAW.name(), c.key(), c.value()),
                            (md, e) -> {
                                if (e != null) {
                                    sendFailures.add(what + ": " + e.getClass().getSimpleName());
                                }
                            });
                }
                producer.flush();
            }
            sendFailures.forEach(f -> tally.problem("not sent: " + f));
            out.printf("fuzz: %d records sent to %s%n", count, Topics.CELLS_RAW.name());

            OutputTally.Snapshot s = outputs.snapshot();
            long deadline = System.nanoTime() + options.timeout().toNanos();
            long lastPrinted = 0;
            while (s.classified() + s.deadCrops() < count) {
                if (!alive(rt, tally)) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    tally.problem(
                            "timed out after "
                                    + options.timeout()
                                    + " with "
                                    + (count - s.classified() - s.deadCrops())
                                    + " records without an outcome");
                    break;
                }
                Thread.sleep(200);
                s = outputs.snapshot();
                long done = s.classified() + s.deadCrops();
                if (done - lastPrinted >= Math.max(100, count / 10)) {
                    out.printf("fuzz: %d of %d records have an outcome%n", done, count);
                    lastPrinted = done;
                }
            }
            // Anything late (a duplicate, a second dead letter) would come with the next
            // checkpoint's transactions: poll through two more, stopping early if one shows.
            long settle =
                    System.nanoTime()
                            + 2 * rt.jobConfig().checkpointInterval().toNanos()
                            + 500_000_000L;
            while (System.nanoTime() < settle
                    && s.classified() + s.deadCrops() == count
                    && s.duplicateCells() == 0) {
                Thread.sleep(100);
                s = outputs.snapshot();
            }
            alive(rt, tally);
            account(s, tally);
        }
        out.printf(
                "fuzz: %.1f s, %d problems%n",
                (System.nanoTime() - started) / 1e9, tally.problems().size());
        for (String p : tally.problems().subList(0, Math.min(20, tally.problems().size()))) {
            out.println("  " + p);
        }
        out.println("fuzz: dead letters by stage " + tally.deadByStage());
        out.println(tally.line());
        return tally;
    }

    /** False (and a crash recorded) if the job stopped or the gate is not running. */
    private static boolean alive(EmbeddedRuntime rt, FuzzTally tally) {
        try {
            rt.checkJobAlive();
        } catch (Exception e) {
            tally.crash("the Flink job stopped: " + e.getMessage());
            return false;
        }
        KafkaStreams.State gate = rt.gateState();
        if (gate != KafkaStreams.State.RUNNING && gate != KafkaStreams.State.REBALANCING) {
            tally.crash("the gate is " + gate);
            return false;
        }
        if (rt.gateThreadDeaths() > 0) {
            tally.crash(rt.gateThreadDeaths() + " gate stream thread(s) died");
            return false;
        }
        return true;
    }

    static void account(OutputTally.Snapshot s, FuzzTally tally) {
        tally.accepted(s.classified());
        if (s.duplicateCells() > 0) {
            tally.problem(s.duplicateCells() + " cells classified twice");
        }
        Set<String> sources = new HashSet<>();
        for (DeadLetter d : s.deadLetters()) {
            if (Topics.SCAN_EVENTS.name().equals(d.getSourceTopic())) {
                continue; // none are fed; OutputTally leaves them out of deadCrops as well
            }
            tally.dead(d.getReason().name(), d.getStage());
            if (d.getReason() == DeadLetterReason.UNKNOWN
                    || d.getDetail() == null
                    || d.getDetail().isBlank()
                    || d.getStage() == null
                    || d.getStage().isBlank()) {
                tally.problem("a dead letter without a reason, detail or stage");
            }
            String source =
                    d.getSourceTopic() + "/" + d.getSourcePartition() + "@" + d.getSourceOffset();
            if (!sources.add(source)) {
                tally.problem("two dead letters for " + source);
            }
        }
        if (s.classified() + s.deadCrops() != tally.fed()) {
            tally.problem(
                    tally.fed()
                            + " records fed, "
                            + s.classified()
                            + " classified and "
                            + s.deadCrops()
                            + " dead-lettered");
        }
    }

    /** The seed folder for real crops under the repository home, whether or not it exists. */
    public static Path defaultRealCrops(Path home) {
        return home.resolve("..").resolve("shared").resolve("data").normalize();
    }
}
