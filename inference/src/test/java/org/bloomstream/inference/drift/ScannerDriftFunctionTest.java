package org.bloomstream.inference.drift;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.bloomstream.inference.typing.CellTypeHead;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.ScannerDrift;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The keyed drift operator in Flink's test harness. The window is count-based, so "time" here is
 * the cell count: each record's timestamp is set explicitly and only the cell order matters.
 */
class ScannerDriftFunctionTest {
    private static final DriftSettings SETTINGS = new DriftSettings(32, 4, 64, 0.01);
    private static CellTypeHead head;
    private static DriftProfile profile;

    @BeforeAll
    static void fit() throws Exception {
        float[][] rows = DriftCells.rows(600, 1, 0);
        head = DriftCells.head(rows);
        profile = DriftProfile.fit(head, rows);
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, ClassifiedCell, ScannerDrift>
            harness() throws Exception {
        var h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(
                                new ScannerDriftFunction(profile, SETTINGS, "h")),
                        ClassifiedCell::getScannerId,
                        Types.STRING);
        return h;
    }

    private static List<ScannerDrift> feed(
            KeyedOneInputStreamOperatorTestHarness<String, ClassifiedCell, ScannerDrift> h,
            List<ClassifiedCell> cells)
            throws Exception {
        int before = h.extractOutputValues().size();
        for (ClassifiedCell c : cells) {
            h.processElement(new StreamRecord<>(c, c.getCaptureTime().toEpochMilli()));
        }
        List<ScannerDrift> all = h.extractOutputValues();
        return new ArrayList<>(all.subList(before, all.size()));
    }

    @Test
    void steadyScannerStaysQuietAndShiftedScannerAlertsByName() throws Exception {
        try (var h = harness()) {
            h.open();
            List<ScannerDrift> steady =
                    feed(h, DriftCells.typed(head, "steady", DriftCells.rows(512, 2, 0), 0));
            assertThat(steady).hasSize(512 / 32);
            assertThat(steady).noneMatch(ScannerDrift::getAlert);
            // measured: about -0.002 once the window is full (seed 2), against 0.02 shifted
            assertThat(steady).allMatch(d -> Math.abs(d.getMmd2()) < 0.01);

            List<ScannerDrift> shifted =
                    feed(h, DriftCells.typed(head, "stained", DriftCells.rows(256, 3, 1.5), 0));
            ScannerDrift last = shifted.get(shifted.size() - 1);
            assertThat(last.getScannerId()).isEqualTo("stained");
            assertThat(last.getAlert()).isTrue();
            assertThat(last.getReason()).contains("scanner stained drifted");
            assertThat(last.getMmd2()).isGreaterThan(0.015);
            // alerts only once the window holds minCells
            assertThat(shifted.get(0).getWindowCells()).isEqualTo(32);
            assertThat(shifted.get(0).getAlert()).isFalse();
        }
    }

    /**
     * A scanner that sees only one cell type (a specimen full of one kind) has moved away from the
     * fitting mix, not from the fitting look: the class-mix adjusted MMD^2 stays near 0 and raises
     * no alert, the unadjusted one does not.
     */
    @Test
    void aCaseMixChangeAloneRaisesNoAlert() throws Exception {
        try (var h = harness()) {
            h.open();
            List<ScannerDrift> out =
                    feed(h, DriftCells.typed(head, "mix", DriftCells.rowsOfClass(256, 11, 1), 0));
            ScannerDrift last = out.get(out.size() - 1);
            assertThat(out).noneMatch(ScannerDrift::getAlert);
            assertThat(Math.abs(last.getMmd2())).isLessThan(0.005);
            assertThat(last.getMmd2Unadjusted()).isGreaterThan(0.1);
        }
    }

    @Test
    void windowRollsAndCapsAtItsSize() throws Exception {
        try (var h = harness()) {
            h.open();
            List<ScannerDrift> out = new ArrayList<>();
            out.addAll(feed(h, DriftCells.typed(head, "s", DriftCells.rows(128, 4, 1.5), 0)));
            assertThat(out.get(out.size() - 1).getAlert()).isTrue();
            // a full window (4 x 32 cells) of normal cells pushes the shifted ones out
            out.addAll(feed(h, DriftCells.typed(head, "s", DriftCells.rows(128, 5, 0), 10_000)));
            ScannerDrift end = out.get(out.size() - 1);
            assertThat(end.getWindowCells()).isEqualTo(128);
            assertThat(end.getCellsSeen()).isEqualTo(256);
            assertThat(end.getAlert()).isFalse();
            assertThat(Math.abs(end.getMmd2())).isLessThan(0.01);
            assertThat(out).extracting(ScannerDrift::getWindowCells).allMatch(n -> n <= 128);
            // half way back, the window still mixes both
            ScannerDrift mid = out.get(4 + 1);
            assertThat(mid.getMmd2()).isBetween(end.getMmd2(), out.get(3).getMmd2());
        }
    }

    @Test
    void stateSizeIsIndependentOfTheCellCount() throws Exception {
        long small;
        long large;
        try (var h = harness()) {
            h.open();
            feed(h, DriftCells.typed(head, "s", DriftCells.rows(40, 6, 0), 0));
            small = h.snapshot(1, 1).getStateSize();
            System.out.printf("drift state after 40 cells of one scanner: %d bytes%n", small);
        }
        try (var h = harness()) {
            h.open();
            feed(h, DriftCells.typed(head, "s", DriftCells.rows(3000, 7, 0), 0));
            large = h.snapshot(1, 1).getStateSize();
            System.out.printf("drift state after 3000 cells of one scanner: %d bytes%n", large);
        }
        assertThat(large).isEqualTo(small);
        long perScanner = ScannerDriftFunction.stateBytes(profile, SETTINGS);
        assertThat(perScanner).isEqualTo(8L * (3 + 4 * (3 + 256 + 3 * 3)));
        assertThat(large).isGreaterThanOrEqualTo(perScanner);
    }

    @Test
    void restoreFromSnapshotContinuesExactly() throws Exception {
        List<ClassifiedCell> cells = new ArrayList<>();
        cells.addAll(DriftCells.typed(head, "a", DriftCells.rows(150, 8, 0), 0));
        cells.addAll(DriftCells.typed(head, "b", DriftCells.rows(150, 9, 1.5), 0));
        cells.addAll(DriftCells.typed(head, "a", DriftCells.rows(150, 10, 1.5), 1000));
        java.util.Collections.shuffle(cells.subList(0, 300), new java.util.Random(3));
        List<ScannerDrift> straight;
        try (var h = harness()) {
            h.open();
            straight = feed(h, cells);
        }
        int cut = 211; // mid-bucket
        List<ScannerDrift> resumed;
        OperatorSubtaskState snap;
        try (var h = harness()) {
            h.open();
            resumed = feed(h, cells.subList(0, cut));
            snap = h.snapshot(1, 1);
        }
        try (var h = harness()) {
            h.initializeState(snap);
            h.open();
            resumed.addAll(feed(h, cells.subList(cut, cells.size())));
        }
        assertThat(resumed).isEqualTo(straight);
        assertThat(straight).anyMatch(ScannerDrift::getAlert);
    }
}
