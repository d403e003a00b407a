package org.bloomstream.devkit.synthetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.bloomstream.ingest.TestImages.bytes;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import javax.imageio.ImageIO;
import org.apache.kafka.common.errors.SerializationException;
import org.bloomstream.devkit.feed.CellKind;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.feed.SpecimenProfile;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.ImageEncoding;
import org.bloomstream.schemas.avro.ScanEvent;
import org.bloomstream.schemas.avro.ScanEventType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SyntheticScannerTest {
    private static final Instant START = Instant.parse("2026-03-01T09:00:00Z");

    /** Seven specimens (more than five profiles), three at a time, a quarter of crops broken. */
    private static final SyntheticScanner.Config SMALL =
            new SyntheticScanner.Config(42, 7, 12, 32, 0.25, 3, START, 10);

    private static List<Emission> small;

    @BeforeAll
    static void run() {
        small = new SyntheticScanner(SMALL).toList();
    }

    private static boolean isCrop(Emission e) {
        return e.type() == Emission.Type.CROP || e.type() == Emission.Type.BAD_CROP;
    }

    // ---------------------------------------------------------------- determinism

    @Test
    void sameConfigGivesIdenticalEmissions() {
        List<Emission> again = new SyntheticScanner(SMALL).toList();
        assertSameEmissions(again, small);
        // and the same scanner iterated twice
        SyntheticScanner scanner = new SyntheticScanner(SMALL);
        assertSameEmissions(scanner.toList(), scanner.toList());
    }

    private static void assertSameEmissions(List<Emission> actual, List<Emission> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            Emission a = actual.get(i);
            Emission e = expected.get(i);
            assertThat(a.type()).as("type %d", i).isEqualTo(e.type());
            assertThat(a.specimenId()).as("specimen %d", i).isEqualTo(e.specimenId());
            assertThat(a.cellId()).as("cell %d", i).isEqualTo(e.cellId());
            assertThat(a.cellKind()).as("kind %d", i).isEqualTo(e.cellKind());
            assertThat(a.defect()).as("defect %d", i).isEqualTo(e.defect());
            assertThat(a.rawValue()).as("raw %d", i).isEqualTo(e.rawValue());
            assertThat(a.scanEvent()).as("event %d", i).isEqualTo(e.scanEvent());
            if (e.crop() != null) {
                assertThat(bytes(a.crop().getImage()))
                        .as("image %d", i)
                        .isEqualTo(bytes(e.crop().getImage()));
                assertThat(a.crop()).as("crop %d", i).isEqualTo(e.crop());
            }
        }
    }

    @Test
    void anotherSeedGivesOtherIdsAndImages() {
        SyntheticScanner.Config other =
                new SyntheticScanner.Config(43, 7, 12, 32, 0.25, 3, START, 10);
        List<Emission> b = new SyntheticScanner(other).toList();
        assertThat(b.get(0).specimenId()).isEqualTo("SYN43-0001").isNotEqualTo("SYN42-0001");
        byte[] firstImage = firstGoodImage(small);
        assertThat(firstGoodImage(b)).isNotEqualTo(firstImage);
    }

    private static byte[] firstGoodImage(List<Emission> emissions) {
        return emissions.stream()
                .filter(e -> e.type() == Emission.Type.CROP)
                .map(e -> bytes(e.crop().getImage()))
                .findFirst()
                .orElseThrow();
    }

    // ---------------------------------------------------------------- structure

    @Test
    void eachSpecimenIsStartedThenItsCropsThenFinishedWithTheCropCount() {
        Map<String, List<Emission>> bySpecimen = new LinkedHashMap<>();
        for (Emission e : small) {
            bySpecimen.computeIfAbsent(e.specimenId(), s -> new ArrayList<>()).add(e);
        }
        assertThat(bySpecimen).hasSize(SMALL.specimens());
        for (Map.Entry<String, List<Emission>> s : bySpecimen.entrySet()) {
            List<Emission> es = s.getValue();
            Emission first = es.get(0);
            Emission last = es.get(es.size() - 1);
            assertThat(first.type()).isEqualTo(Emission.Type.SCAN_STARTED);
            assertThat(last.type()).isEqualTo(Emission.Type.SCAN_FINISHED);
            List<Emission> middle = es.subList(1, es.size() - 1);
            assertThat(middle).allMatch(SyntheticScannerTest::isCrop);
            assertThat(middle).hasSize(SMALL.cellsPerSpecimen());

            ScanEvent started = first.scanEvent();
            ScanEvent finished = last.scanEvent();
            assertThat(started.getType()).isEqualTo(ScanEventType.STARTED);
            assertThat(started.getExpectedCells()).isNull();
            assertThat(finished.getType()).isEqualTo(ScanEventType.FINISHED);
            // good and bad crops both count: the scanner did emit them
            assertThat(finished.getExpectedCells()).isEqualTo(middle.size());
            assertThat(started.getSpecimenId()).isEqualTo(s.getKey());
            assertThat(finished.getSpecimenId()).isEqualTo(s.getKey());
            assertThat(finished.getScanId()).isEqualTo(started.getScanId());
            for (Emission c : middle) {
                assertThat(c.crop().getSpecimenId()).isEqualTo(s.getKey());
                assertThat(c.crop().getScanId()).isEqualTo(started.getScanId());
                assertThat(c.crop().getScannerId()).isEqualTo(started.getScannerId());
            }
        }
        // the bad crops of this config are in those counts
        assertThat(small).anyMatch(e -> e.type() == Emission.Type.BAD_CROP);
    }

    @Test
    void totalsMatchTheConfig() {
        SyntheticScanner scanner = new SyntheticScanner(SMALL);
        assertThat(scanner.totalEmissions()).isEqualTo(7L * (12 + 2));
        assertThat(scanner.totalCrops()).isEqualTo(7L * 12);
        assertThat((long) small.size()).isEqualTo(scanner.totalEmissions());
        assertThat(small.stream().filter(SyntheticScannerTest::isCrop).count())
                .isEqualTo(scanner.totalCrops());
        assertThat(small.stream().filter(e -> e.type() == Emission.Type.SCAN_STARTED).count())
                .isEqualTo(7);
        assertThat(small.stream().filter(e -> e.type() == Emission.Type.SCAN_FINISHED).count())
                .isEqualTo(7);
    }

    @Test
    void profilesCycleThroughAllFive() {
        SyntheticScanner scanner = new SyntheticScanner(SMALL);
        Map<String, SpecimenProfile> specimens = scanner.specimens();
        assertThat(specimens).hasSize(7);
        List<String> ids = new ArrayList<>(specimens.keySet());
        for (int i = 0; i < ids.size(); i++) {
            assertThat(ids.get(i)).isEqualTo(SyntheticScanner.specimenId(42, i));
            assertThat(specimens.get(ids.get(i))).isEqualTo(SpecimenProfile.values()[i % 5]);
        }
        assertThat(new LinkedHashSet<>(specimens.values()))
                .containsExactly(SpecimenProfile.values());
        // every emission carries its specimen's profile; scans start in specimen order
        assertThat(small)
                .allSatisfy(e -> assertThat(e.profile()).isEqualTo(specimens.get(e.specimenId())));
        assertThat(
                        small.stream()
                                .filter(e -> e.type() == Emission.Type.SCAN_STARTED)
                                .map(Emission::specimenId)
                                .toList())
                .containsExactlyElementsOf(ids);
    }

    @Test
    void specimenIdsAreFormattedFromSeedAndIndex() {
        assertThat(SyntheticScanner.specimenId(42, 0)).isEqualTo("SYN42-0001");
        assertThat(SyntheticScanner.specimenId(7, 122)).isEqualTo("SYN7-0123");
    }

    @Test
    void cropsCarryTheDrawnKindAsReferenceLabel() {
        for (Emission e : small) {
            if (isCrop(e)) {
                assertThat(e.cellKind()).isNotNull();
                assertThat(e.crop().getReferenceLabel()).isEqualTo(e.cellKind().label());
                assertThat(e.cellId()).isEqualTo(e.crop().getCellId());
            } else {
                assertThat(e.cellKind()).isNull();
                assertThat(e.crop()).isNull();
                assertThat(e.scanEvent()).isNotNull();
            }
        }
    }

    @Test
    void goodCropsAreJpegsOfTheConfiguredSize() throws IOException {
        int checked = 0;
        for (Emission e : small) {
            if (e.type() != Emission.Type.CROP || checked >= 10) {
                continue;
            }
            assertThat(e.defect()).isNull();
            assertThat(e.rawValue()).isNull();
            assertThat(e.crop().getEncoding()).isEqualTo(ImageEncoding.JPEG);
            assertThat(e.crop().getWidth()).isEqualTo(32);
            assertThat(e.crop().getHeight()).isEqualTo(32);
            BufferedImage image =
                    ImageIO.read(new ByteArrayInputStream(bytes(e.crop().getImage())));
            assertThat(image).isNotNull();
            assertThat(image.getWidth()).isEqualTo(32);
            assertThat(image.getHeight()).isEqualTo(32);
            checked++;
        }
        assertThat(checked).isEqualTo(10);
    }

    @Test
    void captureTimesAdvanceByTheIntervalAcrossTheRoom() {
        for (int i = 0; i < small.size(); i++) {
            Emission e = small.get(i);
            Instant t = e.crop() != null ? e.crop().getCaptureTime() : e.scanEvent().getEventTime();
            assertThat(t).as("emission %d", i).isEqualTo(START.plusMillis(10L * i));
        }
    }

    @Test
    void concurrentScansInterleave() {
        // with three scans at a time, at most three specimens are open at once, and three are
        // open together; their crops alternate rather than coming in blocks
        Set<String> open = new HashSet<>();
        int maxOpen = 0;
        Set<String> beforeFirstFinish = new LinkedHashSet<>();
        boolean finishedOne = false;
        int switches = 0;
        String previousCropSpecimen = null;
        for (Emission e : small) {
            switch (e.type()) {
                case SCAN_STARTED -> open.add(e.specimenId());
                case SCAN_FINISHED -> {
                    assertThat(open.remove(e.specimenId())).isTrue();
                    finishedOne = true;
                }
                default -> {
                    assertThat(open).as("crop of an open scan").contains(e.specimenId());
                    if (!finishedOne) {
                        beforeFirstFinish.add(e.specimenId());
                    }
                    if (previousCropSpecimen != null
                            && !previousCropSpecimen.equals(e.specimenId())) {
                        switches++;
                    }
                    previousCropSpecimen = e.specimenId();
                }
            }
            maxOpen = Math.max(maxOpen, open.size());
        }
        assertThat(open).isEmpty();
        assertThat(maxOpen).isEqualTo(3);
        assertThat(beforeFirstFinish).hasSize(3);
        assertThat(switches).isGreaterThan(SMALL.specimens());

        // one scan at a time: specimens strictly one after the other
        List<Emission> serial =
                new SyntheticScanner(new SyntheticScanner.Config(42, 4, 5, 32, 0.0, 1, START, 10))
                        .toList();
        for (int s = 0; s < 4; s++) {
            for (int j = 0; j < 7; j++) {
                assertThat(serial.get(s * 7 + j).specimenId())
                        .isEqualTo(SyntheticScanner.specimenId(42, s));
            }
        }
    }

    @Test
    void cellIdsAreUnique() {
        List<String> ids =
                small.stream().filter(SyntheticScannerTest::isCrop).map(Emission::cellId).toList();
        assertThat(ids).doesNotContainNull().doesNotHaveDuplicates();
        assertThat(ids).hasSize(7 * 12);
        assertThat(ids).contains("SYN42-0001-c00001", "SYN42-0007-c00012");
    }

    @Test
    void iteratorEndsWithNoSuchElement() {
        Iterator<Emission> it =
                new SyntheticScanner(new SyntheticScanner.Config(1, 1, 1, 32, 0.0, 1, START, 10))
                        .iterator();
        assertThat(it.next().type()).isEqualTo(Emission.Type.SCAN_STARTED);
        assertThat(it.next().type()).isEqualTo(Emission.Type.CROP);
        assertThat(it.next().type()).isEqualTo(Emission.Type.SCAN_FINISHED);
        assertThat(it.hasNext()).isFalse();
        assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
    }

    // ---------------------------------------------------------------- defects

    @Test
    void badFractionBreaksAboutThatShareOfCropsInEveryWay() {
        int crops = 4 * 100;
        double p = 0.2;
        List<Emission> run =
                new SyntheticScanner(new SyntheticScanner.Config(3, 4, 100, 32, p, 2, START, 10))
                        .toList();
        Map<Emission.Defect, Integer> defects = new EnumMap<>(Emission.Defect.class);
        int bad = 0;
        for (Emission e : run) {
            if (e.type() != Emission.Type.BAD_CROP) {
                assertThat(e.defect()).isNull();
                continue;
            }
            bad++;
            defects.merge(e.defect(), 1, Integer::sum);
            assertDefect(e);
        }
        double sd = Math.sqrt(crops * p * (1 - p)); // 8
        assertThat((double) bad).isBetween(crops * p - 4.5 * sd, crops * p + 4.5 * sd);
        assertThat(defects.keySet()).containsExactlyInAnyOrder(Emission.Defect.values());
        // the four defects are drawn uniformly
        double perDefect = bad / 4.0;
        double sdDefect = Math.sqrt(bad * 0.25 * 0.75);
        assertThat(defects.values())
                .allSatisfy(
                        n ->
                                assertThat((double) n)
                                        .isBetween(
                                                perDefect - 4.5 * sdDefect,
                                                perDefect + 4.5 * sdDefect));
    }

    private static void assertDefect(Emission e) {
        byte[] image = bytes(e.crop().getImage());
        switch (e.defect()) {
            case EMPTY_IMAGE -> {
                assertThat(image).isEmpty();
                assertThat(e.rawValue()).isNull();
            }
            case TRUNCATED_JPEG -> {
                assertThat(image).hasSizeGreaterThan(4);
                assertThat(image[0]).isEqualTo((byte) 0xFF);
                assertThat(image[1]).isEqualTo((byte) 0xD8);
                assertThat(
                                image[image.length - 1] == (byte) 0xD9
                                        && image[image.length - 2] == (byte) 0xFF)
                        .as("no EOI marker")
                        .isFalse();
                assertThat(e.rawValue()).isNull();
            }
            case NOT_AN_IMAGE -> {
                assertThat(new String(image, StandardCharsets.UTF_8)).contains(e.cellId());
                assertThat(e.rawValue()).isNull();
            }
            case NOT_AVRO -> {
                assertThat(e.rawValue()).isNotNull();
                assertThatThrownBy(() -> Topics.CELLS_RAW.deserializeValue(e.rawValue()))
                        .isInstanceOf(SerializationException.class);
                // the feed still knows which cell it was
                assertThat(e.cellId()).isNotNull();
            }
        }
    }

    @Test
    void zeroBadFractionGivesNoBadCrops() {
        List<Emission> run =
                new SyntheticScanner(SyntheticScanner.Config.of(9, 5, 30).withBadFraction(0.0))
                        .toList();
        assertThat(run).hasSize(5 * 32);
        assertThat(run).noneMatch(e -> e.type() == Emission.Type.BAD_CROP);
        assertThat(run).allMatch(e -> e.defect() == null && e.rawValue() == null);
    }

    @Test
    void configRejectsImpossibleValues() {
        assertThatThrownBy(() -> SyntheticScanner.Config.of(1, 1, 1).withBadFraction(1.0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SyntheticScanner.Config.of(1, 1, 1).withBadFraction(-0.1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SyntheticScanner.Config.of(1, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SyntheticScanner.Config.of(1, 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SyntheticScanner.Config(1, 1, 1, 32, 0, 0, START, 10))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- cell-type mix

    @Test
    void observedTypeMixOfEachProfileMatchesItsFractions() {
        // 10 specimens, two of each profile, 400 crops each: 800 crops per profile
        List<Emission> run =
                new SyntheticScanner(new SyntheticScanner.Config(11, 10, 400, 32, 0.0, 5, START, 1))
                        .toList();
        Map<SpecimenProfile, Map<CellKind, Integer>> counts = new EnumMap<>(SpecimenProfile.class);
        Map<SpecimenProfile, Integer> totals = new EnumMap<>(SpecimenProfile.class);
        for (Emission e : run) {
            if (isCrop(e)) {
                counts.computeIfAbsent(e.profile(), p -> new EnumMap<>(CellKind.class))
                        .merge(e.cellKind(), 1, Integer::sum);
                totals.merge(e.profile(), 1, Integer::sum);
            }
        }
        assertThat(totals).hasSize(5).allSatisfy((p, n) -> assertThat(n).isEqualTo(800));
        for (SpecimenProfile profile : SpecimenProfile.values()) {
            int n = totals.get(profile);
            for (CellKind kind : CellKind.values()) {
                double expected = profile.fraction(kind);
                int observed = counts.get(profile).getOrDefault(kind, 0);
                if (expected == 0) {
                    assertThat(observed).as("%s %s never drawn", profile, kind).isZero();
                    continue;
                }
                double tolerance = 4.5 * Math.sqrt(expected * (1 - expected) / n) + 1.0 / n;
                assertThat((double) observed / n)
                        .as("%s %s", profile, kind)
                        .isCloseTo(expected, within(tolerance));
            }
        }
    }
}
