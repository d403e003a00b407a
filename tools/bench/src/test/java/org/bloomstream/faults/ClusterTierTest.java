package org.bloomstream.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.bloomstream.devkit.feed.FeedProducer;
import org.bloomstream.devkit.replay.FolderReplay;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.bloomstream.schemas.kafka.KafkaSecurity;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;

/**
 * The cluster tier (issue 17): the job jar on a real Flink session cluster against a real Kafka
 * cluster, in containers built from the project's Dockerfiles, with faults made by killing and
 * stopping processes.
 *
 * <p>Topology ({@link ContainerCluster}): three KRaft brokers (topics with replication factor 3,
 * {@code min.insync.replicas} 2), a JobManager and two TaskManagers (two slots each), the ingest
 * gate. The job jar is uploaded and run through Flink's REST API. A real data set ({@code
 * wbc-jtsc}, two passes as two specimens), after one synthetic CBFB::MYH11 specimen that makes the
 * job raise a subtype alert, is replayed into {@code cells.raw} at a fixed rate, and while cells
 * flow, triggered by how many cells came out ({@code read_committed}):
 *
 * <ol>
 *   <li>{@code kill -9} of a TaskManager that runs tasks of the job, once the synthetic specimen's
 *       alert is committed (so every fault comes after it); it is started again once the job runs
 *       on the other one;
 *   <li>the broker that leads partition 0 of {@code cells.accepted} is stopped, cells keep coming
 *       out without it, and it is started again and back in every ISR;
 *   <li>stop-with-savepoint, then a new version of the job jar (same classes and uids, a different
 *       jar file and version stamp, a smaller batch size) resumed from that savepoint.
 * </ol>
 *
 * <p>At the end the job is stopped with a savepoint (no transaction left open) and every topic is
 * read back with {@code read_committed} and checked as the fault suite checks ({@link
 * FaultVerdict}): every accepted cell exactly once, every report counting exactly its cells, one
 * FHIR bundle per specimen, no duplicate alert. The alerts are also compared with what the job's
 * state says it raised (each final report's {@code alertsRaised}): every one exactly once on {@code
 * alerts.aml}, and the synthetic specimen's among them, so "no duplicate alert" is not vacuous. The
 * fault suite also compares probabilities with a failure-free run; this tier has no such run, so
 * the reports serve as their own reference and only the counts are compared.
 *
 * <p>"producer is already fenced" ({@code KafkaCommitter}, after the failover): every such message
 * in the TaskManagers' logs names a transactional id; the test asks the transaction coordinator for
 * that transaction's state and requires {@code CompleteCommit}: the commit the restored committer
 * retried had already been made before the kill, so nothing was lost (docs/cluster-operators.md).
 *
 * <p>Tagged {@code cluster}: not part of a plain {@code mvn verify}. Needs a Docker engine and the
 * images of {@code docker/test/docker-up}; skips without them unless {@code
 * BLOOMSTREAM_REQUIRE_DOCKER=1} (CI), where it fails. Run:
 *
 * <pre>
 * docker/test/docker-up &amp;&amp; mvn -B -o -pl tools/bench -am verify -Dgroups=cluster \
 *   -Dtest=ClusterTierTest -Dsurefire.failIfNoSpecifiedTests=false -DskipITs
 * </pre>
 */
@Tag("cluster")
class ClusterTierTest {
    private static final Path HOME =
            Path.of(System.getProperty("bloomstream.home", "../..")).toAbsolutePath().normalize();
    private static final Path JOB_JAR = HOME.resolve("job/target/bloomstream-job.jar");
    private static final Path DATA = HOME.resolve("../shared/data/wbc-jtsc").normalize();

    /** Each container's log, written when the test ends. */
    private static final Path LOGS = HOME.resolve("tools/bench/target/cluster-tier");

    private static final String ENTRY = "org.bloomstream.job.cli.FlinkJobMain";
    private static final int PARTITIONS = 4;
    private static final double CROPS_PER_SECOND = 10;
    private static final Duration STEP = Duration.ofMinutes(3);

    /**
     * The alerting specimen: the synthetic scanner's first specimen (CBFB::MYH11) of seed 7, whose
     * crops make the job raise a subtype alert with the fixture models, as in the fault suite
     * ({@code FaultInjectionTest}: seed 7, every subtype specimen of 100 cells alerted). 150 cells:
     * the alert needs 50 before the first evaluation and 20 stable updates.
     */
    private static final long ALERT_SEED = 7;

    private static final int ALERT_CELLS = 150;
    private static final Pattern FENCED =
            Pattern.compile(
                    "Unable to commit transaction \\(.*?transactionalId='([^']+)'.*? because its"
                            + " producer is already fenced");

    @Test
    void jobJarOnASessionClusterSurvivesKilledTaskManagerBrokerRestartAndUpgrade()
            throws Exception {
        ContainerCluster.skipUnlessReady("cluster tier", ContainerCluster.unavailable(), DATA);
        assertThat(JOB_JAR).as("built by mvn package").isRegularFile();
        long t0 = System.nanoTime();
        List<String> faults = new ArrayList<>();
        Path work = Files.createTempDirectory("bloomstream-cluster-tier");
        try (ContainerCluster cluster = new ContainerCluster(work, LOGS)) {
            cluster.startBrokersAndFlink();
            String bootstrap = cluster.bootstrap();
            try (Admin admin = Admin.create(ClientSettings.admin(bootstrap, KafkaSecurity.NONE))) {
                createTopics(admin);
                cluster.startGate();
                log(t0, "brokers, JobManager, 2 TaskManagers and the gate are up");
                FlinkRest rest = new FlinkRest(cluster.restPort);
                await("2 TaskManagers registered", () -> rest.taskManagers() == 2);

                String v1 = rest.upload(JOB_JAR);
                String job = rest.run(v1, ENTRY, jobArgs(cluster, 16), null);
                await("job running", () -> rest.allTasksRunning(job));
                log(t0, "job " + job + " running (jar v1, uploaded through REST)");

                FolderReplay replay = FolderReplay.open(DATA, 2, "ct" + System.nanoTime() % 1000);
                // First a synthetic subtype specimen that makes the job raise an alert (the
                // real data set's normal cells raise none, which would leave "no duplicate
                // alert" vacuous); its crops all go out before the first fault.
                SyntheticScanner alerting =
                        new SyntheticScanner(
                                SyntheticScanner.Config.of(ALERT_SEED, 1, ALERT_CELLS)
                                        .withStartTime(Instant.now()));
                String alertSpecimen = SyntheticScanner.specimenId(ALERT_SEED, 0);
                GroundTruth truth = new GroundTruth();
                long total = alerting.totalCrops() + replay.crops();
                // The feed stops at 25%, 50% and 75% of the crops until the next fault is in
                // place, so every fault lands with crops still to come however slow the machine.
                PausingFeed paced =
                        new PausingFeed(
                                truth.observe(concat(alerting, replay)),
                                total / 4,
                                total / 2,
                                total * 3 / 4);
                try (CommittedCells out = new CommittedCells(bootstrap)) {
                    CompletableFuture<FeedProducer.Sent> feed =
                            CompletableFuture.supplyAsync(
                                    () -> {
                                        try (FeedProducer p = new FeedProducer(bootstrap)) {
                                            return p.send(
                                                    paced,
                                                    CROPS_PER_SECOND,
                                                    FeedProducer.Pace.CROPS,
                                                    n -> {});
                                        } catch (Exception e) {
                                            throw new IllegalStateException(e);
                                        }
                                    });

                    // 1. kill -9 of a TaskManager that runs tasks of the job
                    paced.awaitPause(0, STEP);
                    // The alert committed before the first fault: every fault after it restores
                    // state that has already raised it, which must not raise it again.
                    await(
                            "cells out, the synthetic specimen's alert and a completed checkpoint",
                            () ->
                                    out.cells() > 0
                                            && out.alerts() >= 1
                                            && rest.completedCheckpoints(job) >= 1);
                    String victim = rest.taskManagersOf(job).iterator().next();
                    GenericContainer<?> tm = cluster.taskManagers.get(victim);
                    long before = out.cells();
                    ContainerCluster.kill9(tm);
                    faults.add(
                            String.format(
                                    Locale.ROOT,
                                    "kill -9 of TaskManager %s (running tasks of the job) with"
                                            + " %d/%d crops sent, %d cells and %d alert(s) out",
                                    victim,
                                    paced.sent(),
                                    total,
                                    before,
                                    out.alerts()));
                    paced.resume(0);
                    log(t0, faults.get(faults.size() - 1));
                    await("the job restored from a checkpoint", () -> rest.restored(job) >= 1);
                    await("job running again", () -> rest.allTasksRunning(job));
                    await("cells coming out again", () -> out.cells() > before);
                    ContainerCluster.restart(tm);
                    await("2 TaskManagers again", () -> rest.taskManagers() == 2);
                    log(t0, "failover done; " + victim + " restarted");

                    // 2. stop the broker that leads partition 0 of cells.accepted, then restart it
                    paced.awaitPause(1, STEP);
                    int leader = leaderOf(admin, Topics.CELLS_ACCEPTED.name(), 0);
                    GenericContainer<?> broker = cluster.brokers.get(leader - 1);
                    long atStop = out.cells();
                    ContainerCluster.stop(broker);
                    paced.resume(1);
                    await("10 cells out with a broker down", () -> out.cells() >= atStop + 10);
                    long whileDown = out.cells() - atStop;
                    ContainerCluster.restart(broker);
                    await("broker back in every ISR", () -> allInSync(admin));
                    faults.add(
                            String.format(
                                    Locale.ROOT,
                                    "broker %d (leader of cells.accepted-0) stopped with %d/%d"
                                            + " crops sent, %d cells out while it was down,"
                                            + " restarted and back in every ISR",
                                    leader,
                                    total / 2,
                                    total,
                                    whileDown));
                    log(t0, faults.get(faults.size() - 1));

                    // 3. stop-with-savepoint, resume a new version of the job jar from it
                    paced.awaitPause(2, STEP);
                    long atSavepoint = out.cells();
                    String savepoint =
                            rest.stopWithSavepoint(
                                    job, "file://" + work.resolve("savepoints"), STEP);
                    paced.resume(2);
                    String v2 = rest.upload(newVersion(JOB_JAR, work));
                    String job2 = rest.run(v2, ENTRY, jobArgs(cluster, 8), savepoint);
                    await("job v2 running", () -> rest.allTasksRunning(job2));
                    faults.add(
                            String.format(
                                    Locale.ROOT,
                                    "stop-with-savepoint with %d/%d crops sent, %d cells out; jar"
                                            + " v2 resumed from %s",
                                    total * 3 / 4,
                                    total,
                                    atSavepoint,
                                    savepoint.substring(savepoint.lastIndexOf('/') + 1)));
                    log(t0, faults.get(faults.size() - 1));

                    FeedProducer.Sent sent = feed.get(STEP.toSeconds(), TimeUnit.SECONDS);
                    log(t0, "replay done: " + sent.cropsIn() + " crops sent");
                    int specimens = truth.cropsPerSpecimen.size();
                    try {
                        await(
                                "every good crop out and every specimen reported",
                                () ->
                                        out.cells() >= truth.good.size()
                                                && out.reports() >= specimens);
                    } catch (AssertionError e) {
                        throw new AssertionError(
                                String.format(
                                        Locale.ROOT,
                                        "%s (%d/%d cells out, complete reports for %s of %s)",
                                        e.getMessage(),
                                        out.cells(),
                                        truth.good.size(),
                                        out.reported(),
                                        truth.cropsPerSpecimen),
                                e);
                    }
                    String last =
                            rest.stopWithSavepoint(
                                    job2, "file://" + work.resolve("savepoints"), STEP);
                    log(t0, "job v2 stopped with a savepoint (" + last + ")");
                }

                OutputAudit audit =
                        OutputAudit.read(bootstrap, KafkaSecurity.NONE, Duration.ofMinutes(2));
                Map<String, SpecimenReport> finals = new HashMap<>();
                audit.reports.forEach(r -> finals.put(r.getSpecimenId(), r));
                FaultVerdict verdict = FaultVerdict.check(truth, finals, audit);
                verdict.print(System.out, stamp(t0));

                Map<String, TransactionState> fenced = fencedTransactions(cluster, admin);
                for (String f : faults) {
                    System.out.println("fault injected: " + f);
                }
                System.out.printf(
                        Locale.ROOT,
                        "'producer is already fenced' after the failover: %d transaction(s), state"
                                + " at the coordinator: %s%n",
                        fenced.size(),
                        fenced);
                // The alerts the job's state says it raised (each final report lists its
                // specimen's), against what is on alerts.aml: each exactly once.
                Map<String, Integer> seen = new LinkedHashMap<>();
                audit.alerts.forEach(a -> seen.merge(a.getAlertId(), 1, Integer::sum));
                List<String> expected = new ArrayList<>();
                finals.values().forEach(r -> expected.addAll(r.getAlertsRaised()));
                boolean alertsOnce =
                        seen.keySet().equals(new java.util.HashSet<>(expected))
                                && expected.size() == seen.size()
                                && seen.values().stream().allMatch(n -> n == 1);
                System.out.println("alerts raised: " + expected + ", on alerts.aml: " + seen);
                long in = truth.good.size() + truth.bad.size() + truth.badWithoutId;
                System.out.printf(
                        Locale.ROOT,
                        "cluster tier: cells: %d in / %d out %s, alerts: %s (%d expected, %d"
                                + " seen); %.0f s%n",
                        in,
                        verdict.cellsOut(),
                        verdict.problems().isEmpty() ? "exactly once" : "NOT exactly once",
                        alertsOnce
                                        && verdict.problems().stream()
                                                .noneMatch(p -> p.startsWith("alert"))
                                ? "no duplicates"
                                : "DUPLICATES OR MISSING",
                        expected.size(),
                        audit.alerts.size(),
                        (System.nanoTime() - t0) / 1e9);

                assertThat(faults).hasSize(3);
                assertThat(finals).as("reports").containsKey(alertSpecimen);
                assertThat(finals.get(alertSpecimen).getAlertsRaised())
                        .as("the synthetic %s specimen raised an alert", alertingProfile(alerting))
                        .isNotEmpty();
                assertThat(audit.alerts)
                        .as("every alert the reports name, exactly once on alerts.aml")
                        .extracting(a -> a.getAlertId())
                        .containsExactlyInAnyOrderElementsOf(expected);
                assertThat(verdict.problems()).as("fault-suite checks").isEmpty();
                assertThat(audit.classified).hasSize(truth.good.size());
                assertThat(fenced)
                        .as("every transaction a restored committer found fenced was committed")
                        .allSatisfy(
                                (id, state) ->
                                        assertThat(state)
                                                .isEqualTo(TransactionState.COMPLETE_COMMIT));
            }
        } finally {
            deleteTree(work);
        }
    }

    /** The job's options: the fixture models in the image, checkpoints on the shared directory. */
    private static List<String> jobArgs(ContainerCluster cluster, int batch) {
        return List.of(
                "--bootstrap-servers",
                cluster.bootstrap(),
                "--parallelism",
                "2",
                "--threads",
                "1",
                "--batch-size",
                String.valueOf(batch),
                "--batch-delay-ms",
                "50",
                "--checkpoint-interval-ms",
                "1000",
                "--checkpoint-dir",
                "file://" + cluster.shared.resolve("checkpoints"),
                "--savepoint-dir",
                "file://" + cluster.shared.resolve("savepoints"),
                // The grace after scan-finished runs from a specimen's last cell; a failover holds
                // cells up for half a minute or more, and a specimen whose finish event was
                // processed before the kill was closed incomplete with 5 s (seen when the kill
                // came at the synthetic specimen's 137th of 150 cells). Reports here come when a
                // specimen is complete; the grace is only the backstop for lost crops.
                "--finish-grace-s",
                "300",
                "--model",
                "/opt/bloomstream/models/fixtures/vit-tiny.onnx",
                "--head",
                "/opt/bloomstream/models/fixtures/vit-tiny-linear.json",
                "--mil",
                "/opt/bloomstream/models/fixtures/mil-vit-tiny.json");
    }

    /** Topics.all() with replication factor 3 and min.insync.replicas 2. */
    private static void createTopics(Admin admin) throws Exception {
        List<NewTopic> topics = new ArrayList<>();
        for (var t : Topics.all()) {
            topics.add(
                    new NewTopic(t.name(), PARTITIONS, (short) 3)
                            .configs(
                                    Map.of(
                                            "min.insync.replicas",
                                            "2",
                                            "max.message.bytes",
                                            String.valueOf(ClientSettings.MAX_RECORD_BYTES))));
        }
        admin.createTopics(topics).all().get(1, TimeUnit.MINUTES);
    }

    private static int leaderOf(Admin admin, String topic, int partition) throws Exception {
        TopicDescription d =
                admin.describeTopics(List.of(topic))
                        .allTopicNames()
                        .get(30, TimeUnit.SECONDS)
                        .get(topic);
        return d.partitions().get(partition).leader().id();
    }

    private static boolean allInSync(Admin admin) throws Exception {
        List<String> names = Topics.all().stream().map(t -> t.name()).toList();
        for (TopicDescription d :
                admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
            for (TopicPartitionInfo p : d.partitions()) {
                if (p.isr().size() < 3) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Every transactional id that a TaskManager's KafkaCommitter logged as "already fenced", with
     * its state at the transaction coordinator.
     */
    private static Map<String, TransactionState> fencedTransactions(
            ContainerCluster cluster, Admin admin) throws Exception {
        Map<String, TransactionState> states = new LinkedHashMap<>();
        for (GenericContainer<?> tm : cluster.taskManagers.values()) {
            Matcher m = FENCED.matcher(ContainerCluster.logs(tm));
            while (m.find()) {
                states.put(m.group(1), null);
            }
        }
        if (!states.isEmpty()) {
            Map<String, TransactionDescription> d =
                    admin.describeTransactions(states.keySet()).all().get(30, TimeUnit.SECONDS);
            d.forEach((id, t) -> states.put(id, t.state()));
        }
        return states;
    }

    private static String alertingProfile(SyntheticScanner s) {
        return s.specimens().values().iterator().next().label();
    }

    /** {@code a}'s emissions, then {@code b}'s. */
    private static Iterable<org.bloomstream.devkit.feed.Emission> concat(
            Iterable<org.bloomstream.devkit.feed.Emission> a,
            Iterable<org.bloomstream.devkit.feed.Emission> b) {
        return () ->
                java.util.stream.Stream.concat(
                                java.util.stream.StreamSupport.stream(a.spliterator(), false),
                                java.util.stream.StreamSupport.stream(b.spliterator(), false))
                        .iterator();
    }

    /**
     * A new version of the job jar: the same classes (so the same operator uids and state), a
     * different file with its own version stamp, as a rebuilt release would be.
     */
    private static Path newVersion(Path jar, Path dir) throws IOException {
        Path v2 = dir.resolve("bloomstream-job-v2.jar");
        try (ZipFile in = new ZipFile(jar.toFile());
                OutputStream os = Files.newOutputStream(v2);
                ZipOutputStream out = new ZipOutputStream(os)) {
            var entries = in.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                out.putNextEntry(new ZipEntry(e.getName()));
                in.getInputStream(e).transferTo(out);
                out.closeEntry();
            }
            out.putNextEntry(new ZipEntry("META-INF/bloomstream-cluster-tier-version.txt"));
            out.write("v2\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.closeEntry();
        }
        return v2;
    }

    /**
     * The replay, stopping before the crop at each pause point until {@link #resume} is called for
     * it.
     */
    static final class PausingFeed implements Iterable<org.bloomstream.devkit.feed.Emission> {
        private final Iterable<org.bloomstream.devkit.feed.Emission> feed;
        private final long[] at;
        private final java.util.concurrent.CountDownLatch[] reached;
        private final java.util.concurrent.CountDownLatch[] resumed;
        private final AtomicLong crops = new AtomicLong();

        PausingFeed(Iterable<org.bloomstream.devkit.feed.Emission> feed, long... at) {
            this.feed = feed;
            this.at = at;
            reached = new java.util.concurrent.CountDownLatch[at.length];
            resumed = new java.util.concurrent.CountDownLatch[at.length];
            for (int i = 0; i < at.length; i++) {
                reached[i] = new java.util.concurrent.CountDownLatch(1);
                resumed[i] = new java.util.concurrent.CountDownLatch(1);
            }
        }

        long sent() {
            return crops.get();
        }

        void awaitPause(int i, Duration timeout) throws InterruptedException {
            if (!reached[i].await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("the feed did not reach " + at[i] + " crops");
            }
        }

        void resume(int i) {
            resumed[i].countDown();
        }

        @Override
        public java.util.Iterator<org.bloomstream.devkit.feed.Emission> iterator() {
            java.util.Iterator<org.bloomstream.devkit.feed.Emission> it = feed.iterator();
            return new java.util.Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public org.bloomstream.devkit.feed.Emission next() {
                    org.bloomstream.devkit.feed.Emission e = it.next();
                    if (e.type() == org.bloomstream.devkit.feed.Emission.Type.CROP
                            || e.type() == org.bloomstream.devkit.feed.Emission.Type.BAD_CROP) {
                        long n = crops.incrementAndGet();
                        for (int i = 0; i < at.length; i++) {
                            if (n == at[i] + 1) {
                                crops.decrementAndGet();
                                reached[i].countDown();
                                try {
                                    if (!resumed[i].await(10, TimeUnit.MINUTES)) {
                                        throw new IllegalStateException("never resumed");
                                    }
                                } catch (InterruptedException ex) {
                                    Thread.currentThread().interrupt();
                                    throw new IllegalStateException(ex);
                                }
                                crops.incrementAndGet();
                            }
                        }
                    }
                    return e;
                }
            };
        }
    }

    /** Polls {@code c} until it holds, for at most {@link #STEP}. */
    private static void await(String what, Polling.Condition c) throws Exception {
        // the REST endpoint or a broker may be restarting
        Polling.await(what, STEP, Duration.ofMillis(200), c, IOException.class);
    }

    private static String stamp(long t0) {
        return String.format(Locale.ROOT, "[%6.1fs]", (System.nanoTime() - t0) / 1e9);
    }

    private static void log(long t0, String what) {
        System.out.println(stamp(t0) + " " + what);
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder())
                    .forEach(
                            f -> {
                                try {
                                    Files.deleteIfExists(f);
                                } catch (IOException e) {
                                    // files written by the containers' users: left for tmp
                                }
                            });
        }
    }

    /**
     * Cells, reports and alerts on the output topics as a read_committed consumer sees them,
     * counted in the background: what the faults are triggered by and the end is awaited on.
     */
    static final class CommittedCells implements AutoCloseable {
        private final Set<String> cells = ConcurrentHashMap.newKeySet();
        private final Set<String> specimensReported = ConcurrentHashMap.newKeySet();
        private final Set<String> alerts = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong errors = new AtomicLong();
        private final Thread thread;

        CommittedCells(String bootstrap) {
            thread = new Thread(() -> poll(bootstrap), "cluster-tier-progress");
            thread.setDaemon(true);
            thread.start();
        }

        long cells() {
            return cells.size();
        }

        long alerts() {
            return alerts.size();
        }

        Set<String> reported() {
            return Set.copyOf(specimensReported);
        }

        long reports() {
            return specimensReported.size();
        }

        private void poll(String bootstrap) {
            try (KafkaConsumer<byte[], byte[]> c =
                    new KafkaConsumer<>(
                            ClientSettings.consumer(
                                    bootstrap, "cluster-tier-progress", KafkaSecurity.NONE))) {
                List<TopicPartition> parts = new ArrayList<>();
                for (String t :
                        List.of(
                                Topics.CELLS_CLASSIFIED.name(),
                                Topics.SPECIMEN_REPORTS.name(),
                                Topics.ALERTS_AML.name())) {
                    for (int p = 0; p < PARTITIONS; p++) {
                        parts.add(new TopicPartition(t, p));
                    }
                }
                c.assign(parts);
                c.seekToBeginning(parts);
                while (!stop.get()) {
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                        try {
                            if (r.topic().equals(Topics.CELLS_CLASSIFIED.name())) {
                                ClassifiedCell cell =
                                        Topics.CELLS_CLASSIFIED.deserializeValue(r.value());
                                cells.add(cell.getCellId());
                            } else if (r.topic().equals(Topics.ALERTS_AML.name())) {
                                alerts.add(
                                        Topics.ALERTS_AML.deserializeValue(r.value()).getAlertId());
                            } else {
                                SpecimenReport rep =
                                        Topics.SPECIMEN_REPORTS.deserializeValue(r.value());
                                if (rep.getExpectedCells() != null
                                        && rep.getCellCount() + rep.getDeadLetteredCells()
                                                >= rep.getExpectedCells()) {
                                    specimensReported.add(rep.getSpecimenId());
                                }
                            }
                        } catch (RuntimeException e) {
                            errors.incrementAndGet();
                        }
                    }
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(10_000);
        }
    }
}
