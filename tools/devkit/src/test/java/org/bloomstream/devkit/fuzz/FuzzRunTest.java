package org.bloomstream.devkit.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.bloomstream.devkit.embedded.TestJobs;
import org.bloomstream.job.JobConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fuzzed records through the whole system (embedded KRaft broker, the real gate, the Flink job on a
 * MiniCluster with no restarts), with every log event captured: the run must have zero crashes and
 * account for every record, and no log line may carry an id of the run or image bytes.
 *
 * <p>One run serves both checks, since starting the system is most of the cost. The long form is
 * {@code -Dgroups=fuzz}, or {@code bloomstream fuzz --seed S --count N}.
 */
class FuzzRunTest {
    static final long SEED = Long.getLong("bloomstream.fuzz.seed", 7L);

    private static final Map<String, Level> PRODUCTION_LEVELS =
            Map.of(
                    "org.bloomstream", Level.DEBUG,
                    "kafka", Level.WARN,
                    "org.apache.kafka", Level.WARN,
                    "state.change.logger", Level.WARN);

    private static FuzzTally tally;
    private static List<String> logLines;
    private static String printed;

    static JobConfig config(String bootstrap) {
        return TestJobs.fixtureJob(bootstrap, "fuzz-");
    }

    static FuzzTally run(long seed, int count, Path dir, PrintStream out) throws Exception {
        Path real = FuzzRun.defaultRealCrops(TestJobs.home());
        if (!Files.isDirectory(real)) {
            System.out.println("fuzz: " + real + " absent; skipping real seed crops");
        }
        return new FuzzRun(
                        new FuzzRun.Options(
                                seed, count, real, Duration.ofMinutes(4), dir, FuzzRunTest::config),
                        out)
                .run();
    }

    @BeforeAll
    static void runWithLogsCaptured() throws Exception {
        Path dir = Files.createTempDirectory("fuzz-run-test-");
        // The levels of the CLI's bloomstream-log4j2.xml (everything at INFO, the Kafka broker at
        // WARN), whatever configuration the test classpath picked, and bloomstream's own loggers
        // at DEBUG: stricter than production.
        Map<String, Level> before = new java.util.HashMap<>();
        for (String name : PRODUCTION_LEVELS.keySet()) {
            before.put(name, org.apache.logging.log4j.LogManager.getLogger(name).getLevel());
        }
        Level rootBefore = org.apache.logging.log4j.LogManager.getRootLogger().getLevel();
        Configurator.setRootLevel(Level.INFO);
        Configurator.setLevel(PRODUCTION_LEVELS);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (LogCapture capture = LogCapture.attach();
                PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            tally = run(SEED, Integer.getInteger("bloomstream.fuzz.count", 400), dir, out);
            logLines = capture.lines();
        } finally {
            Configurator.setLevel(before);
            Configurator.setRootLevel(rootBefore);
        }
        printed = bytes.toString(StandardCharsets.UTF_8);
        System.out.print(printed);
    }

    @AfterAll
    static void report() {
        System.out.println("captured " + (logLines == null ? 0 : logLines.size()) + " log lines");
    }

    @Test
    void everyFuzzedRecordIsClassifiedOrDeadAndNothingCrashes() {
        assertThat(tally.problems()).isEmpty();
        assertThat(tally.crashes()).isZero();
        assertThat(tally.acceptedCount() + tally.deadCount()).isEqualTo(tally.fed());
        assertThat(tally.acceptedCount()).isPositive();
        // the job's decoder must have seen damage the gate's header checks let through
        assertThat(tally.deadByReason())
                .containsKeys("BAD_SCHEMA", "UNDECODABLE_IMAGE", "IMAGE_TOO_LARGE");
        assertThat(printed).contains(tally.line());
        assertThat(tally.line())
                .matches(
                        "fuzz: seed \\d+, \\d+ records: \\d+ accepted, \\d+ dead \\(.*\\), 0 crashes");
    }

    @Test
    void noLogLineCarriesAnIdOfTheRunOrImageBytes() {
        // the capture must have worked, or the scan proves nothing
        assertThat(logLines).hasSizeGreaterThan(20);
        assertThat(logLines).anyMatch(l -> l.contains("org.apache.flink"));
        List<String> all = new ArrayList<>(logLines);
        all.addAll(Arrays.asList(printed.split("\n")));
        assertThat(LogLeaks.find(all, CropFuzzer.specimenIdPattern(SEED))).isEmpty();
    }

    @Test
    void theLeakScanFindsPlantedLeaks() {
        Pattern ids = CropFuzzer.specimenIdPattern(SEED);
        byte[] jpeg = FuzzSeeds.synthetic(1).get(0).bytes();
        byte[] png = FuzzSeeds.synthetic(1).get(1).bytes();
        List<String> planted =
                List.of(
                        "INFO x - closing specimen FZ" + SEED + "-P0012",
                        "WARN x - bad crop FZ"
                                + SEED
                                + "-P0003-c17 of scan FZ"
                                + SEED
                                + "-P0003-scan1",
                        "INFO x - image " + Base64.getEncoder().encodeToString(jpeg),
                        "INFO x - image " + Base64.getEncoder().encodeToString(png),
                        "INFO x - image " + new String(jpeg, StandardCharsets.ISO_8859_1),
                        "INFO x - image " + new String(png, StandardCharsets.UTF_8),
                        "INFO x - image " + Arrays.toString(Arrays.copyOf(jpeg, 64)),
                        "INFO x - image " + java.util.HexFormat.of().formatHex(png));
        for (String line : planted) {
            assertThat(LogLeaks.find(List.of(line), ids)).as(line.substring(0, 30)).hasSize(1);
        }
        assertThat(
                        LogLeaks.find(
                                List.of(
                                        "INFO o.a.f.r.t.Task - decode-resize (1/2) switched to RUNNING",
                                        "WARN o.b.a.SpecimenMilFunction - specimen closed after finish grace with 3 of 5 cells"),
                                ids))
                .isEmpty();
    }

    @Test
    @Tag("fuzz")
    void longRun() throws Exception {
        FuzzTally t =
                run(
                        SEED + 1,
                        Integer.getInteger("bloomstream.fuzz.long.count", 5000),
                        Files.createTempDirectory("fuzz-run-long-"),
                        System.out);
        assertThat(t.problems()).isEmpty();
        assertThat(t.ok()).isTrue();
    }
}
