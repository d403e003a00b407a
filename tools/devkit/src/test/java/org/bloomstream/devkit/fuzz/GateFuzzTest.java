package org.bloomstream.devkit.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.test.TestRecord;
import org.bloomstream.ingest.gate.GateConfig;
import org.bloomstream.ingest.gate.GateHarness;
import org.bloomstream.schemas.avro.CellCrop;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.DeadLetterReason;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The fuzzer against the ingest gate's real topology in a {@code TopologyTestDriver}: every record
 * fed must come out exactly once, accepted or dead-lettered with a reason, and no exception may
 * escape the gate. Records go in one at a time, so each outcome is tied to the case that caused it
 * and a failure names the seed, index and kind to reproduce it.
 *
 * <p>The short form runs in {@code mvn verify}; {@code -Dgroups=fuzz} runs the long form, and
 * {@code -Dbloomstream.fuzz.seed=S -Dbloomstream.fuzz.count=N} replays any run.
 */
class GateFuzzTest {
    private static final long SEED = Long.getLong("bloomstream.fuzz.seed", 20260301L);

    /** Kinds whose outcome is known regardless of the seed. */
    private static final Map<CropFuzzer.Kind, Set<DeadLetterReason>> MUST_BE_DEAD =
            new EnumMap<>(CropFuzzer.Kind.class);

    static {
        Set<DeadLetterReason> schema = EnumSet.of(DeadLetterReason.BAD_SCHEMA);
        MUST_BE_DEAD.put(CropFuzzer.Kind.TRUNCATED_RECORD, schema);
        MUST_BE_DEAD.put(CropFuzzer.Kind.HUGE_LENGTH_PREFIX, schema);
        MUST_BE_DEAD.put(CropFuzzer.Kind.WRONG_SCHEMA, schema);
        MUST_BE_DEAD.put(CropFuzzer.Kind.TOMBSTONE, schema);
        MUST_BE_DEAD.put(CropFuzzer.Kind.MISSING_ID, EnumSet.of(DeadLetterReason.MISSING_ID));
        MUST_BE_DEAD.put(
                CropFuzzer.Kind.RESEND,
                // a resend of a crop with a garbled id repeats that id's outcome (issue 20)
                EnumSet.of(
                        DeadLetterReason.DUPLICATE_CELL,
                        DeadLetterReason.MISSING_ID,
                        DeadLetterReason.INVALID_ID));
        MUST_BE_DEAD.put(
                CropFuzzer.Kind.DECOMPRESSION_BOMB, EnumSet.of(DeadLetterReason.IMAGE_TOO_LARGE));
        MUST_BE_DEAD.put(CropFuzzer.Kind.EMPTY_IMAGE, EnumSet.of(DeadLetterReason.EMPTY_IMAGE));
        MUST_BE_DEAD.put(CropFuzzer.Kind.TINY_IMAGE, EnumSet.of(DeadLetterReason.BAD_DIMENSIONS));
    }

    @Test
    void shortRunEveryRecordIsAcceptedOrDeadAndNothingCrashes() throws IOException {
        FuzzTally t = run(SEED, Integer.getInteger("bloomstream.fuzz.count", 1500), seeds(SEED));
        assertThat(t.problems()).isEmpty();
        assertThat(t.crashes()).isZero();
        assertThat(t.acceptedCount() + t.deadCount()).isEqualTo(t.fed());
        // the run must exercise both outcomes and many reasons, or it proves little
        assertThat(t.acceptedCount()).isPositive();
        assertThat(t.deadByReason().keySet())
                .contains("BAD_SCHEMA", "MISSING_ID", "EMPTY_IMAGE", "UNDECODABLE_IMAGE")
                .contains("IMAGE_TOO_LARGE", "BAD_DIMENSIONS", "DUPLICATE_CELL");
    }

    @Test
    @Tag("fuzz")
    void longRunOverSeveralSeeds() throws IOException {
        int count = Integer.getInteger("bloomstream.fuzz.count", 20_000);
        for (long seed = SEED; seed < SEED + 5; seed++) {
            FuzzTally t = run(seed, count, seeds(seed));
            assertThat(t.problems()).as("seed %d", seed).isEmpty();
            assertThat(t.acceptedCount() + t.deadCount()).isEqualTo(t.fed());
        }
    }

    @Test
    void aCaseWithNoOutcomeOrTheWrongOneIsReported() {
        // the accounting itself must be able to fail
        FuzzTally t = new FuzzTally(1, 2);
        t.accepted();
        assertThat(t.ok()).isFalse();
        t.dead("BAD_SCHEMA");
        assertThat(t.ok()).isTrue();
        t.problem("case 1: two outcomes");
        assertThat(t.ok()).isFalse();
        assertThat(t.line())
                .isEqualTo(
                        "fuzz: seed 1, 2 records: 1 accepted, 1 dead (BAD_SCHEMA: 1), 0 crashes");
    }

    static List<FuzzSeeds.Seed> seeds(long seed) throws IOException {
        List<FuzzSeeds.Seed> seeds = new ArrayList<>(FuzzSeeds.synthetic(seed));
        Path shared = sharedData();
        if (shared == null) {
            System.out.println(
                    "fuzz: shared/data not found above "
                            + Path.of("").toAbsolutePath()
                            + "; fuzzing synthetic seed crops only");
        } else {
            seeds.addAll(FuzzSeeds.real(shared, seed, 24));
        }
        return seeds;
    }

    /** Feeds {@code count} cases one by one and checks each one's outcome. */
    static FuzzTally run(long seed, int count, List<FuzzSeeds.Seed> seeds) {
        CropFuzzer fuzzer = new CropFuzzer(seed, seeds);
        FuzzTally tally = new FuzzTally(seed, count);
        try (GateHarness gate = new GateHarness(GateConfig.DEFAULT)) {
            for (int i = 0; i < count; i++) {
                CropFuzzer.Case c = fuzzer.next();
                String where =
                        "seed "
                                + seed
                                + " case "
                                + c.index()
                                + " ("
                                + c.kind()
                                + ", "
                                + c.seedName()
                                + ")";
                long offset;
                try {
                    offset = gate.send(c.key(), c.value());
                } catch (RuntimeException e) {
                    tally.crash(where + ": " + e);
                    continue;
                }
                List<TestRecord<String, CellCrop>> accepted = gate.accepted();
                List<TestRecord<String, DeadLetter>> dead = gate.dead();
                if (accepted.size() + dead.size() != 1) {
                    tally.problem(
                            where
                                    + ": "
                                    + accepted.size()
                                    + " accepted and "
                                    + dead.size()
                                    + " dead");
                }
                for (var a : accepted) {
                    tally.accepted();
                    if (MUST_BE_DEAD.containsKey(c.kind())) {
                        tally.problem(where + ": accepted, expected " + MUST_BE_DEAD.get(c.kind()));
                    }
                    if (c.cellId() != null && !c.cellId().contains(a.value().getCellId())) {
                        tally.problem(where + ": accepted under another cell id");
                    }
                }
                if (c.kind() == CropFuzzer.Kind.VALID && accepted.isEmpty()) {
                    tally.problem(where + ": a valid crop was dead-lettered: " + dead);
                }
                for (var d : dead) {
                    DeadLetter dl = d.value();
                    tally.dead(dl.getReason().name());
                    if (dl.getReason() == DeadLetterReason.UNKNOWN
                            || dl.getDetail() == null
                            || dl.getDetail().isBlank()
                            || !"gate".equals(dl.getStage())) {
                        tally.problem(where + ": dead letter without a reason or stage");
                    }
                    if (dl.getSourceOffset() != offset) {
                        tally.problem(where + ": dead letter names offset " + dl.getSourceOffset());
                    }
                    Set<DeadLetterReason> expected = MUST_BE_DEAD.get(c.kind());
                    if (expected != null && !expected.contains(dl.getReason())) {
                        tally.problem(
                                where
                                        + ": "
                                        + dl.getReason()
                                        + ", expected "
                                        + expected
                                        + ": "
                                        + dl.getDetail());
                    }
                }
            }
        }
        System.out.println(tally.line());
        for (String p : tally.problems().subList(0, Math.min(20, tally.problems().size()))) {
            System.out.println("  " + p);
        }
        return tally;
    }

    /** {@code shared/data} found by walking up from the working directory, or null. */
    static Path sharedData() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared").resolve("data");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
