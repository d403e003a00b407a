package org.bloomstream.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.bloomstream.devkit.embedded.EmbeddedRuntime;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.replay.FolderReplay;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.kafka.KafkaSecurity;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 17, part 3: {@code docker-compose up} of {@code docker/docker-compose.yml} brings the stack
 * up, and a folder replayed through the ingest service's HTTP API comes out classified.
 *
 * <p>The stack is the production compose file unchanged (its services, network, commands and
 * settings), with {@code docker/docker-compose.test.yml} on top, which swaps in the images that
 * {@code docker/test/docker-up} builds from the same Dockerfiles on local bases. The services talk
 * over the compose network by service name, as in production; the published host ports are picked
 * free here ({@code BLOOMSTREAM_*_PORT}) and bind 127.0.0.1 only. The core stack runs (Kafka,
 * {@code kafka-init}, the Flink application cluster that starts the job itself with {@code
 * standalone-job}, the ingest service with its gate); the registry, Prometheus and Grafana are
 * behind profiles and stay off.
 *
 * <p>The test posts {@code wbc-jtsc} (one specimen, 300 crops) to {@code /v1/scans/started}, {@code
 * /v1/crops} and {@code /v1/scans/finished} with the bearer token, as a scanner would, and polls
 * ({@code read_committed}) until every crop the gate accepted is on {@code cells.classified} and
 * the specimen's report counts them all; then it waits for two more completed checkpoints and
 * requires every accepted cell exactly once. {@code docker-compose down -v} always runs.
 *
 * <p>Debian's {@code docker-compose} (1.29, Compose v1) is what runs it: the compose file has no
 * top-level {@code name:} for that reason (the project name is {@code -p}). Skips without {@code
 * docker-compose}, an engine or the images, unless {@code BLOOMSTREAM_REQUIRE_DOCKER=1} (CI), where
 * it fails.
 *
 * <pre>
 * docker/test/docker-up &amp;&amp; mvn -B -o -pl tools/bench -am test -Dgroups=cluster \
 *   -Dtest=ComposeStackTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
@Tag("cluster")
class ComposeStackTest {
    private static final Path HOME =
            Path.of(System.getProperty("bloomstream.home", "../..")).toAbsolutePath().normalize();
    private static final Path DATA = HOME.resolve("../shared/data/wbc-jtsc").normalize();
    private static final Path LOGS = HOME.resolve("tools/bench/target/compose-stack");
    private static final String COMPOSE = "docker/docker-compose.yml";
    private static final String OVERRIDE = "docker/docker-compose.test.yml";

    /** Bound of each wait; generous, as the CI machine's two cores are shared. */
    private static final Duration STEP = Duration.ofMinutes(5);

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void composeUpRunsTheStackAndAReplayedFolderComesOutClassifiedExactlyOnce() throws Exception {
        ContainerCluster.skipUnlessReady("compose test", unavailable(), DATA);
        long t0 = System.nanoTime();
        String project = "bloomstream-compose-" + UUID.randomUUID().toString().substring(0, 8);
        String token = UUID.randomUUID().toString();
        Map<String, String> env = new LinkedHashMap<>();
        env.put("BLOOMSTREAM_INGEST_TOKEN", token);
        // Host ports of docker-compose.yml (defaults 9094, 8081, 8080, 8090), picked free here
        int kafka = EmbeddedRuntime.freePort();
        int rest = EmbeddedRuntime.freePort();
        int ingest = EmbeddedRuntime.freePort();
        env.put("BLOOMSTREAM_KAFKA_PORT", String.valueOf(kafka));
        env.put("BLOOMSTREAM_FLINK_UI_PORT", String.valueOf(rest));
        env.put("BLOOMSTREAM_INGEST_PORT", String.valueOf(ingest));
        env.put("BLOOMSTREAM_LIVE_PORT", String.valueOf(EmbeddedRuntime.freePort()));
        String bootstrap = "127.0.0.1:" + kafka;
        try {
            compose(env, project, Duration.ofMinutes(8), "up", "-d", "--no-build");
            double up = seconds(t0);
            log(t0, "docker-compose up -d returned (project " + project + ")");

            String feed = "http://127.0.0.1:" + ingest;
            await("the ingest service ready", () -> status(feed + "/readyz") == 200);
            FlinkRest flink = new FlinkRest(rest);
            String[] job = new String[1];
            await(
                    "the job running in the application cluster",
                    () -> {
                        job[0] = runningJob(flink);
                        return job[0] != null && flink.allTasksRunning(job[0]);
                    });
            double running = seconds(t0);
            log(t0, "ingest ready, job " + job[0] + " running");

            GroundTruth truth = new GroundTruth();
            FolderReplay replay =
                    FolderReplay.open(DATA, 1, "cs" + Long.toString(System.nanoTime() % 100000));
            Map<Integer, Integer> answers = new HashMap<>();
            for (Emission e : truth.observe(replay)) {
                post(feed, token, e, answers);
            }
            double posted = seconds(t0);
            log(t0, "posted " + replay.crops() + " crops over HTTP, answers " + answers);
            assertThat(answers.keySet()).as("HTTP answers").containsOnly(202);

            long expected = truth.good.size() + truth.bad.size();
            String specimen = truth.cropsPerSpecimen.keySet().iterator().next();
            OutputAudit[] seen = new OutputAudit[1];
            await(
                    "every accepted crop classified and the specimen reported",
                    () -> {
                        OutputAudit a = OutputAudit.read(bootstrap, KafkaSecurity.NONE, STEP);
                        seen[0] = a;
                        return a.accepted.size() + a.dead.size() >= expected
                                && a.classified.keySet().containsAll(a.accepted.keySet())
                                && complete(a, specimen);
                    });
            double classified = seconds(t0);
            log(t0, "every accepted crop classified, the report complete");

            // Anything written twice would be committed by a later checkpoint: wait for two.
            long checkpoints = flink.completedCheckpoints(job[0]);
            await(
                    "two more completed checkpoints",
                    () -> flink.completedCheckpoints(job[0]) >= checkpoints + 2);
            OutputAudit a = OutputAudit.read(bootstrap, KafkaSecurity.NONE, STEP);
            SpecimenReport report = last(a, specimen);
            System.out.printf(
                    Locale.ROOT,
                    "compose stack: %d crops posted, %d accepted, %d dead-lettered, %d classified"
                            + " (%d duplicates), report: %d cells, call %s; up %.0f s, job"
                            + " running %.0f s, replay posted %.0f s, all classified %.0f s, total"
                            + " %.0f s%n",
                    expected,
                    a.accepted.size(),
                    a.dead.size(),
                    a.classified.size(),
                    a.duplicateClassified(),
                    report.getCellCount(),
                    report.getCall(),
                    up,
                    running,
                    posted,
                    classified,
                    seconds(t0));

            assertThat(a.accepted.keySet())
                    .as("the gate accepted every good crop")
                    .containsExactlyInAnyOrderElementsOf(truth.good);
            assertThat(a.duplicateAccepted()).isZero();
            assertThat(a.dead).hasSize(truth.bad.size());
            assertThat(a.classified.keySet())
                    .as("every accepted cell on cells.classified")
                    .containsExactlyInAnyOrderElementsOf(a.accepted.keySet());
            assertThat(a.classified.values()).as("each exactly once").containsOnly(1);
            assertThat(report.getCellCount()).isEqualTo(a.classified.size());
            assertThat(a.reportsPerSpecimen()).containsEntry(specimen, 1);
        } finally {
            writeLogs(env, project);
            compose(env, project, Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
            log(t0, "docker-compose down -v done");
        }
    }

    // ---- the stack
    // -------------------------------------------------------------------------------

    /** Null when docker-compose, an engine and the images are there; else what is missing. */
    static String unavailable() {
        try {
            Process p =
                    new ProcessBuilder("docker-compose", "version", "--short")
                            .redirectErrorStream(true)
                            .start();
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "`docker-compose version` did not answer in 30 s";
            }
            if (p.exitValue() != 0) {
                return "`docker-compose version` failed";
            }
        } catch (IOException e) {
            return "no docker-compose command (Debian's docker-compose; docker/test/docker-up"
                    + " installs it)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        return ContainerCluster.unavailable();
    }

    /** Runs {@code docker-compose -p project -f compose -f override args...}; fails unless 0. */
    private static void compose(
            Map<String, String> env, String project, Duration timeout, String... args)
            throws IOException, InterruptedException {
        List<String> cmd =
                new ArrayList<>(
                        List.of("docker-compose", "-p", project, "-f", COMPOSE, "-f", OVERRIDE));
        cmd.addAll(List.of(args));
        Files.createDirectories(LOGS);
        Path out = LOGS.resolve("docker-compose-" + args[0] + ".log");
        ProcessBuilder pb =
                new ProcessBuilder(cmd)
                        .directory(HOME.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(out.toFile());
        pb.environment().putAll(env);
        // Compose v1 gives each engine call 60 s by default; a loaded 2-core machine can miss it.
        pb.environment().put("COMPOSE_HTTP_TIMEOUT", "300");
        pb.environment().remove("COMPOSE_PROFILES");
        Process p = pb.start();
        if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not end in " + timeout);
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(
                    String.join(" ", cmd)
                            + " exited "
                            + p.exitValue()
                            + ":\n"
                            + Files.readString(out));
        }
    }

    /** Every service's log to target/compose-stack/services.log; a diagnosis aid only. */
    private static void writeLogs(Map<String, String> env, String project) {
        try {
            compose(env, project, Duration.ofMinutes(1), "logs", "--no-color");
        } catch (IOException | AssertionError e) {
            // the stack may not have come up far enough to have logs
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The id of the application cluster's job once it runs; null before. */
    private static String runningJob(FlinkRest flink) throws IOException, InterruptedException {
        for (JsonNode j : flink.get("/jobs/overview").path("jobs")) {
            if ("RUNNING".equals(j.path("state").asText())) {
                return j.path("jid").asText();
            }
        }
        return null;
    }

    // ---- the scanner's side: the HTTP feed ------------------------------------------------------

    /**
     * One emission as a scanner posts it; retries a 429 (backpressure) after its Retry-After, up to
     * {@link #STEP}. Counts the final answer's status.
     */
    private static void post(String feed, String token, Emission e, Map<Integer, Integer> answers)
            throws IOException, InterruptedException {
        HttpRequest.Builder r =
                HttpRequest.newBuilder()
                        .timeout(Duration.ofMinutes(1))
                        .header("Authorization", "Bearer " + token)
                        .header("X-Specimen-Id", e.specimenId());
        switch (e.type()) {
            case SCAN_STARTED, SCAN_FINISHED -> {
                var ev = e.scanEvent();
                r.uri(
                                URI.create(
                                        feed
                                                + (e.type() == Emission.Type.SCAN_STARTED
                                                        ? "/v1/scans/started"
                                                        : "/v1/scans/finished")))
                        .header("X-Scan-Id", ev.getScanId())
                        .header("X-Scanner-Id", ev.getScannerId());
                if (e.type() == Emission.Type.SCAN_FINISHED) {
                    r.header("X-Expected-Cells", String.valueOf(ev.getExpectedCells()));
                }
                r.POST(HttpRequest.BodyPublishers.noBody());
            }
            case CROP, BAD_CROP -> {
                CellCrop c = e.crop();
                if (c == null) {
                    throw new IllegalStateException("a crop that is no record cannot be posted");
                }
                r.uri(URI.create(feed + "/v1/crops"))
                        .header("X-Scan-Id", c.getScanId())
                        .header("X-Cell-Id", c.getCellId())
                        .header("X-Scanner-Id", c.getScannerId())
                        .header("Content-Type", "application/octet-stream")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(c.getImage())));
                if (c.getReferenceLabel() != null) {
                    r.header("X-Reference-Label", c.getReferenceLabel());
                }
                if (c.getCaptureTime() != null) {
                    r.header("X-Capture-Time", c.getCaptureTime().toString());
                }
            }
            default -> throw new IllegalStateException("unknown emission " + e.type());
        }
        HttpRequest request = r.build();
        long deadline = System.nanoTime() + STEP.toNanos();
        while (true) {
            HttpResponse<String> a = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            if (a.statusCode() != 429 || System.nanoTime() > deadline) {
                answers.merge(a.statusCode(), 1, Integer::sum);
                if (a.statusCode() != 202) {
                    System.out.println(
                            "HTTP " + a.statusCode() + " for " + e.type() + ": " + a.body());
                }
                return;
            }
            long wait = a.headers().firstValueAsLong("Retry-After").orElse(1);
            Thread.sleep(TimeUnit.SECONDS.toMillis(Math.max(1, Math.min(wait, 5))));
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    private static int status(String url) throws IOException, InterruptedException {
        return HTTP.send(
                        HttpRequest.newBuilder(URI.create(url))
                                .timeout(Duration.ofSeconds(10))
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    // ---- the output -----------------------------------------------------------------------------

    /** The specimen's last report accounts for every crop it expected. */
    private static boolean complete(OutputAudit a, String specimen) {
        SpecimenReport r = last(a, specimen);
        return r != null
                && r.getExpectedCells() != null
                && r.getCellCount() + r.getDeadLetteredCells() >= r.getExpectedCells();
    }

    private static SpecimenReport last(OutputAudit a, String specimen) {
        SpecimenReport last = null;
        for (SpecimenReport r : a.reports) {
            if (r.getSpecimenId().equals(specimen)) {
                last = r;
            }
        }
        return last;
    }

    /** Polls {@code c} until it holds, for at most {@link #STEP}. */
    private static void await(String what, Polling.Condition c) throws Exception {
        // a service still starting: connection refused, no topic yet
        Polling.await(
                what, STEP, Duration.ofMillis(500), c, IOException.class, RuntimeException.class);
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void log(long t0, String what) {
        System.out.printf(Locale.ROOT, "[%6.1fs] %s%n", seconds(t0), what);
    }
}
