package org.bloomstream.aggregation;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.KeyedCoProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.bloomstream.aggregation.alert.AlertPolicy;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.CloseReason;
import org.bloomstream.schemas.avro.SpecimenPhase;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.avro.SpecimenStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Operator-harness tests of the specimen MIL: processing time is driven by the test. */
class SpecimenMilFunctionTest {
    static final AlertPolicy POLICY =
            new AlertPolicy(
                    30, 0.9, Map.of(), 5, Duration.ofSeconds(10), Duration.ofSeconds(60), 3);

    private KeyedTwoInputStreamOperatorTestHarness<String, ClassifiedCell, SpecimenSignal, AmlAlert>
            h;

    @BeforeEach
    void open() throws Exception {
        h =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new KeyedCoProcessOperator<>(
                                new SpecimenMilFunction(MilTestCells.model(), POLICY)),
                        c -> c.getSpecimenId(),
                        s -> s.specimenId,
                        Types.STRING);
        h.open();
        h.setProcessingTime(1_000);
    }

    @AfterEach
    void close() throws Exception {
        h.close();
    }

    private void cells(String specimen, int from, int to, double share, String abnormal)
            throws Exception {
        for (int i = from; i < to; i++) {
            h.processElement1(
                    new StreamRecord<>(
                            MilTestCells.cell(
                                    specimen, i, MilTestCells.typeFor(i, share, abnormal))));
        }
    }

    private void signal(SpecimenSignal.Kind kind, String specimen, int expected) throws Exception {
        h.processElement2(
                new StreamRecord<>(
                        new SpecimenSignal(kind, specimen, specimen + "-scan", expected, 0)));
    }

    private List<SpecimenReport> reports() {
        var out = h.getSideOutput(SpecimenMilFunction.REPORTS);
        if (out == null) {
            return List.of(); // the harness has no queue until the first side output
        }
        return out.stream().map(StreamRecord::getValue).toList();
    }

    @Test
    void subtypeSpecimenAlertsOnceAfterMinCellsAndStableUpdates() throws Exception {
        cells("P1", 0, 29, 0.6, "a-cell");
        assertThat(h.extractOutputValues()).as("no alert before minCells").isEmpty();
        cells("P1", 29, 200, 0.6, "a-cell");
        List<AmlAlert> alerts = h.extractOutputValues();
        assertThat(alerts).hasSize(1);
        AmlAlert a = alerts.get(0);
        assertThat(a.getSubtype()).isEqualTo("A");
        assertThat(a.getVersion()).isEqualTo(1);
        assertThat(a.getAlertId()).isEqualTo("P1/A/1");
        // minCells 30, then 5 stable updates: the 34th cell at the earliest.
        assertThat(a.getCellCount()).isBetween(34L, 60L);
        assertThat(a.getProbability()).isGreaterThanOrEqualTo(0.9f);
        assertThat(a.getProbabilities())
                .extracting(lp -> lp.getLabel())
                .containsExactly("A", "B", "control");
        assertThat(a.getDifferential())
                .extracting(tc -> tc.getCellType())
                .contains("a-cell", "normal");
        assertThat(a.getTopAttendedCellIds()).hasSize(3).allMatch(id -> id.startsWith("P1-c"));
        assertThat(a.getMilModelId()).isEqualTo("mil-test");
        assertThat(a.getFirstCellTime().toEpochMilli()).isEqualTo(1_000_000L);
        assertThat(a.getAlertTime().toEpochMilli()).isEqualTo(1_000L);
    }

    @Test
    void topAttendedCellsForASubtypeAreItsCharacteristicCells() throws Exception {
        cells("P1", 0, 100, 0.6, "a-cell");
        signal(SpecimenSignal.Kind.FINISHED, "P1", 100);
        SpecimenReport r = reports().get(0);
        var forA =
                r.getTopAttended().stream().filter(t -> t.getLabel().equals("A")).findFirst().get();
        for (String id : forA.getCellIds()) {
            int n = Integer.parseInt(id.substring(id.indexOf("-c") + 2));
            assertThat(MilTestCells.typeFor(n, 0.6, "a-cell")).isEqualTo("a-cell");
        }
    }

    @Test
    void controlSpecimenNeverAlerts() throws Exception {
        cells("C1", 0, 300, 0.0, "a-cell");
        assertThat(h.extractOutputValues()).isEmpty();
        signal(SpecimenSignal.Kind.FINISHED, "C1", 300);
        assertThat(reports())
                .singleElement()
                .satisfies(r -> assertThat(r.getCall()).isEqualTo("control"));
    }

    @Test
    void aChangedCallRaisesANewVersionButTheSameCallNeverAlertsTwice() throws Exception {
        cells("P2", 0, 100, 0.6, "a-cell");
        // Then a long run of b-cells moves the call to B.
        for (int i = 100; i < 600; i++) {
            h.processElement1(new StreamRecord<>(MilTestCells.cell("P2", i, "b-cell")));
        }
        List<AmlAlert> alerts = h.extractOutputValues();
        assertThat(alerts).extracting(AmlAlert::getSubtype).containsExactly("A", "B");
        assertThat(alerts).extracting(AmlAlert::getVersion).containsExactly(1, 2);
        signal(SpecimenSignal.Kind.FINISHED, "P2", 600);
        assertThat(reports().get(0).getAlertsRaised()).containsExactly("P2/A/1", "P2/B/2");
    }

    @Test
    void finishedWithAllCellsReportsAtOnceAndClearsState() throws Exception {
        signal(SpecimenSignal.Kind.STARTED, "P3", 0);
        cells("P3", 0, 80, 0.6, "b-cell");
        signal(SpecimenSignal.Kind.FINISHED, "P3", 80);
        List<SpecimenReport> reports = reports();
        assertThat(reports).hasSize(1);
        SpecimenReport r = reports.get(0);
        assertThat(r.getCloseReason()).isEqualTo(CloseReason.SCAN_FINISHED);
        assertThat(r.getCellCount()).isEqualTo(80);
        assertThat(r.getExpectedCells()).isEqualTo(80);
        assertThat(r.getCall()).isEqualTo("B");
        assertThat(r.getDifferential().stream().mapToLong(tc -> tc.getCount()).sum()).isEqualTo(80);
        // Only the tombstone is left, and a timer removes it.
        assertThat(h.numKeyedStateEntries()).isEqualTo(1);
        h.setProcessingTime(1_000 + SpecimenMilFunction.TOMBSTONE_TTL.toMillis());
        assertThat(h.numKeyedStateEntries()).isZero();
    }

    @Test
    void cellsStillInFlightAfterFinishedAreWaitedForThenTheGraceRunsOut() throws Exception {
        cells("P4", 0, 40, 0.6, "a-cell");
        signal(SpecimenSignal.Kind.FINISHED, "P4", 50);
        assertThat(reports()).isEmpty();
        // A lagging pipeline still delivers cells 8 s after the finish: the grace restarts.
        h.setProcessingTime(1_000 + 8_000);
        cells("P4", 40, 45, 0.6, "a-cell");
        h.setProcessingTime(1_000 + 10_000);
        assertThat(reports()).as("grace counts from the last cell").isEmpty();
        h.setProcessingTime(1_000 + 8_000 + 9_999);
        assertThat(reports()).isEmpty();
        h.setProcessingTime(1_000 + 8_000 + 10_000);
        assertThat(reports())
                .singleElement()
                .satisfies(
                        r -> {
                            assertThat(r.getCloseReason()).isEqualTo(CloseReason.SCAN_FINISHED);
                            assertThat(r.getCellCount()).isEqualTo(45);
                            assertThat(r.getExpectedCells()).isEqualTo(50);
                        });
    }

    @Test
    void deadLetteredCellsCompleteTheSpecimen() throws Exception {
        cells("P5", 0, 48, 0.6, "a-cell");
        signal(SpecimenSignal.Kind.FINISHED, "P5", 50);
        signal(SpecimenSignal.Kind.CELL_LOST, "P5", 0);
        assertThat(reports()).isEmpty();
        signal(SpecimenSignal.Kind.CELL_LOST, "P5", 0);
        assertThat(reports())
                .singleElement()
                .satisfies(
                        r -> {
                            assertThat(r.getCellCount()).isEqualTo(48);
                            assertThat(r.getDeadLetteredCells()).isEqualTo(2);
                        });
    }

    @Test
    void aSpecimenThatGoesQuietIsClosedByTheInactivityTimeout() throws Exception {
        cells("P6", 0, 10, 0.6, "a-cell");
        h.setProcessingTime(1_000 + 59_999);
        assertThat(reports()).isEmpty();
        h.setProcessingTime(1_000 + 60_000);
        assertThat(reports())
                .singleElement()
                .satisfies(
                        r -> {
                            assertThat(r.getCloseReason())
                                    .isEqualTo(CloseReason.INACTIVITY_TIMEOUT);
                            assertThat(r.getExpectedCells()).isNull();
                        });
    }

    @Test
    void activityPushesTheInactivityTimeoutBack() throws Exception {
        cells("P7", 0, 5, 0.6, "a-cell");
        h.setProcessingTime(1_000 + 50_000);
        cells("P7", 5, 6, 0.6, "a-cell");
        h.setProcessingTime(1_000 + 60_000);
        assertThat(reports()).isEmpty();
        h.setProcessingTime(1_000 + 110_000);
        assertThat(reports()).hasSize(1);
    }

    @Test
    void lateCellsAfterTheReportAreIgnoredNotReportedTwice() throws Exception {
        cells("P8", 0, 60, 0.6, "a-cell");
        signal(SpecimenSignal.Kind.FINISHED, "P8", 60);
        int alerts = h.extractOutputValues().size();
        cells("P8", 60, 200, 0.6, "a-cell");
        h.setProcessingTime(1_000 + 3_600_000);
        assertThat(reports()).hasSize(1);
        assertThat(h.extractOutputValues()).hasSize(alerts);
    }

    @Test
    void specimensAreIndependent() throws Exception {
        for (int i = 0; i < 200; i++) {
            h.processElement1(
                    new StreamRecord<>(
                            MilTestCells.cell("X", i, MilTestCells.typeFor(i, 0.6, "a-cell"))));
            h.processElement1(new StreamRecord<>(MilTestCells.cell("Y", i, "normal")));
        }
        assertThat(h.extractOutputValues())
                .extracting(AmlAlert::getSpecimenId)
                .containsExactly("X");
    }

    @Test
    void arrivalOrderDoesNotChangeTheReport() throws Exception {
        List<ClassifiedCell> cells = new java.util.ArrayList<>();
        for (int i = 0; i < 150; i++) {
            cells.add(MilTestCells.cell("O1", i, MilTestCells.typeFor(i, 0.6, "b-cell")));
        }
        for (ClassifiedCell c : cells) {
            h.processElement1(new StreamRecord<>(c));
        }
        signal(SpecimenSignal.Kind.FINISHED, "O1", 150);
        java.util.Collections.shuffle(cells, new java.util.Random(3));
        for (ClassifiedCell c : cells) {
            h.processElement1(
                    new StreamRecord<>(
                            MilTestCells.cell(
                                    "O2",
                                    Integer.parseInt(c.getCellId().substring(4)),
                                    c.getCellType())));
        }
        signal(SpecimenSignal.Kind.FINISHED, "O2", 150);
        List<SpecimenReport> r = reports();
        assertThat(r).hasSize(2);
        for (int c = 0; c < 3; c++) {
            assertThat(r.get(1).getProbabilities().get(c).getProbability())
                    .isCloseTo(
                            r.get(0).getProbabilities().get(c).getProbability(),
                            org.assertj.core.data.Offset.offset(1e-6f));
        }
        assertThat(r.get(1).getDifferential()).isEqualTo(r.get(0).getDifferential());
        assertThat(r.get(1).getCall()).isEqualTo("B");
    }

    /**
     * Documents what a duplicate does inside one specimen: the state is O(C*D) and cannot remember
     * every cell id, so a re-delivered cell is counted again (the gate's dedupe window and the
     * exactly-once job keep duplicates from reaching this stage); it is never listed twice among
     * the most attended cells.
     */
    @Test
    void aDuplicateCellIsCountedAgainButNeverListedTwice() throws Exception {
        ClassifiedCell a = MilTestCells.cell("D1", 1, "a-cell");
        for (int i = 2; i < 40; i++) {
            h.processElement1(new StreamRecord<>(MilTestCells.cell("D1", i, "normal")));
        }
        h.processElement1(new StreamRecord<>(a));
        h.processElement1(new StreamRecord<>(a));
        signal(SpecimenSignal.Kind.FINISHED, "D1", 40);
        SpecimenReport r = reports().get(0);
        assertThat(r.getCellCount()).isEqualTo(40);
        var forA =
                r.getTopAttended().stream().filter(t -> t.getLabel().equals("A")).findFirst().get();
        assertThat(forA.getCellIds()).doesNotHaveDuplicates().contains("D1-c1");
    }

    // ---- the throttled status --------------------------------------------------------------

    /** Replaces the default harness with one whose function uses {@code throttle}. */
    private void withThrottle(StatusThrottle throttle) throws Exception {
        h.close();
        h =
                new KeyedTwoInputStreamOperatorTestHarness<>(
                        new KeyedCoProcessOperator<>(
                                new SpecimenMilFunction(MilTestCells.model(), POLICY, throttle)),
                        c -> c.getSpecimenId(),
                        s -> s.specimenId,
                        Types.STRING);
        h.open();
        h.setProcessingTime(1_000);
    }

    private List<SpecimenStatus> statuses() {
        var out = h.getSideOutput(SpecimenMilFunction.STATUS);
        return out == null ? List.of() : out.stream().map(StreamRecord::getValue).toList();
    }

    @Test
    void statusGoesOutAtTheFirstCellThenEveryNCellsThenAtFinishAndClose() throws Exception {
        withThrottle(new StatusThrottle(10, Duration.ofHours(1)));
        signal(SpecimenSignal.Kind.STARTED, "S1", 0);
        assertThat(statuses()).as("nothing to say before the first cell").isEmpty();
        cells("S1", 0, 35, 0.6, "a-cell");
        assertThat(statuses())
                .extracting(SpecimenStatus::getCellCount)
                .containsExactly(1L, 11L, 21L, 31L);
        assertThat(statuses()).extracting(SpecimenStatus::getSequence).containsExactly(1, 2, 3, 4);
        assertThat(statuses())
                .allSatisfy(
                        st -> {
                            assertThat(st.getPhase()).isEqualTo(SpecimenPhase.SCANNING);
                            assertThat(st.getExpectedCells()).isNull();
                            assertThat(st.getMinCells()).isEqualTo(30);
                            assertThat(st.getScanId()).isEqualTo("S1-scan");
                            assertThat(st.getProbabilities())
                                    .extracting(lp -> lp.getLabel())
                                    .containsExactly("A", "B", "control");
                            double sum =
                                    st.getProbabilities().stream()
                                            .mapToDouble(lp -> lp.getProbability())
                                            .sum();
                            assertThat(sum)
                                    .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
                            assertThat(
                                            st.getDifferential().stream()
                                                    .mapToLong(tc -> tc.getCount())
                                                    .sum())
                                    .isEqualTo(st.getCellCount());
                            assertThat(st.getTopAttended()).hasSize(3);
                        });

        // scan-finished always publishes, whatever the throttle says
        signal(SpecimenSignal.Kind.FINISHED, "S1", 40);
        SpecimenStatus finished = statuses().get(4);
        assertThat(finished.getPhase()).isEqualTo(SpecimenPhase.SCAN_FINISHED);
        assertThat(finished.getExpectedCells()).isEqualTo(40);
        assertThat(finished.getCellCount()).isEqualTo(35);

        cells("S1", 35, 40, 0.6, "a-cell");
        List<SpecimenStatus> all = statuses();
        assertThat(all).hasSize(6);
        SpecimenStatus last = all.get(5);
        assertThat(last.getPhase()).isEqualTo(SpecimenPhase.CLOSED);
        assertThat(last.getCellCount()).isEqualTo(40);
        SpecimenReport report = reports().get(0);
        // The last status says what the report says.
        assertThat(last.getCall()).isEqualTo(report.getCall());
        assertThat(last.getProbabilities()).isEqualTo(report.getProbabilities());
        assertThat(last.getDifferential()).isEqualTo(report.getDifferential());
        assertThat(last.getTopAttended()).isEqualTo(report.getTopAttended());
        assertThat(last.getAlertsRaised()).isEqualTo(report.getAlertsRaised());
    }

    @Test
    void statusIsThrottledInTimeAndSilentWhenNothingArrives() throws Exception {
        withThrottle(new StatusThrottle(1_000, Duration.ofSeconds(5)));
        cells("S2", 0, 1, 0.6, "a-cell"); // t = 1 s: the first cell publishes
        for (int t = 2; t <= 5; t++) {
            h.setProcessingTime(t * 1_000L);
            cells("S2", t, t + 1, 0.6, "a-cell");
        }
        assertThat(statuses()).hasSize(1);
        h.setProcessingTime(6_000);
        cells("S2", 6, 7, 0.6, "a-cell");
        assertThat(statuses()).extracting(SpecimenStatus::getCellCount).containsExactly(1L, 6L);
        // Time alone publishes nothing: no timer of its own, and nothing new to say.
        h.setProcessingTime(30_000);
        assertThat(statuses()).hasSize(2);
        // A lost cell is progress too.
        signal(SpecimenSignal.Kind.CELL_LOST, "S2", 0);
        assertThat(statuses()).hasSize(3);
        assertThat(statuses().get(2).getDeadLetteredCells()).isEqualTo(1);
        assertThat(statuses().get(2).getCellCount()).isEqualTo(6);
    }

    @Test
    void aClosedSpecimenPublishesNoMoreStatusAndItsStateIsGone() throws Exception {
        withThrottle(new StatusThrottle(1, Duration.ZERO));
        cells("S3", 0, 20, 0.6, "b-cell");
        signal(SpecimenSignal.Kind.FINISHED, "S3", 20);
        int n = statuses().size();
        assertThat(statuses().get(n - 1).getPhase()).isEqualTo(SpecimenPhase.CLOSED);
        cells("S3", 20, 30, 0.6, "b-cell");
        assertThat(statuses()).as("late cells do not reopen the status").hasSize(n);
        assertThat(h.numKeyedStateEntries()).as("only the tombstone").isEqualTo(1);
    }

    @Test
    void aSpecimenClosedByInactivityStillGetsItsClosingStatus() throws Exception {
        cells("S4", 0, 3, 0.6, "a-cell");
        h.setProcessingTime(1_000 + 60_000);
        SpecimenStatus last = statuses().get(statuses().size() - 1);
        assertThat(last.getPhase()).isEqualTo(SpecimenPhase.CLOSED);
        assertThat(last.getCellCount()).isEqualTo(3);
    }
}
