package org.bloomstream.inference.drift;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.LabelProbability;
import org.bloomstream.schemas.avro.ScannerDrift;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live batch-effect watch, keyed by scanner id: each classified cell's embedding goes into the
 * scanner's rolling {@link DriftWindow}; each time a bucket fills, the window is compared with the
 * head's {@link DriftProfile} and a {@link ScannerDrift} record goes out.
 *
 * <ul>
 *   <li>{@code mmd2}: unbiased MMD^2 between the window and the fitting cells re-weighted to the
 *       window's class mix (by most probable class), through the profile's random Fourier features:
 *       {@code (||S||^2 - sum ||phi||^2) / (n (n - 1)) - 2 S . mu_w / n + |mu_w|^2}, with S the
 *       window's feature sum and {@code mu_w = sum_c w_c mu_c} the class means of the fitting cells
 *       weighted by the window's class shares ({@code |mu_w|^2} from the profile's class Gram
 *       matrix, unbiased). A specimen rich in one cell type is so compared with that type's fitting
 *       cells: a change of case mix alone stays near 0 as long as the head types the cells right.
 *       The alert reads this one.
 *   <li>{@code mmd2Unadjusted}: the same against the fitting mix as it was ({@code mu}); rises with
 *       a case-mix change as much as with a batch effect.
 *   <li>{@code similarityDrop}: the reference minus the window mean nearest-reference similarity,
 *       class by class (most probable class), weighted by the window's class counts; a case-mix
 *       change alone leaves it near 0, a look the head has not seen raises it.
 *   <li>{@code unknownRate} against the reference's.
 * </ul>
 *
 * The alert flag is set when the window holds at least {@code minCells} cells and mmd2 is above the
 * threshold; the reason names the scanner. Per-scanner gauges ({@code driftMmd2}, {@code
 * driftSimilarityDrop}, {@code driftUnknownRate}, {@code driftAlert}, {@code driftWindowCells}) sit
 * in a metric group {@code scanner=<id>}, a Prometheus label.
 *
 * <p>Cells without an embedding (the typing step always attaches one; only hand-made inputs lack
 * it) are skipped. A state whose length does not match this profile and these settings (a head with
 * other classes, other window settings) is dropped and refilled, with a log line: the window
 * describes the current head only.
 */
public class ScannerDriftFunction
        extends KeyedProcessFunction<String, ClassifiedCell, ScannerDrift> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ScannerDriftFunction.class);

    private final DriftProfile profile;
    private final DriftSettings settings;
    private final String headModelId;

    private transient ValueState<double[]> state;
    private transient RandomFourierFeatures rff;
    private transient DriftWindow window;
    private transient double[] scratch;
    private transient Map<String, ScannerDrift> latest;
    private transient MetricGroup metrics;

    public ScannerDriftFunction(DriftProfile profile, DriftSettings settings, String headModelId) {
        this.profile = profile;
        this.settings = settings;
        this.headModelId = headModelId;
    }

    /** Bytes of keyed state per scanner (the value; the key and backend overhead come on top). */
    public static long stateBytes(DriftProfile profile, DriftSettings settings) {
        return 8L
                * new DriftWindow(profile.features(), profile.classes().size(), settings).length();
    }

    @Override
    public void open(OpenContext ctx) {
        state =
                getRuntimeContext()
                        .getState(
                                new ValueStateDescriptor<>(
                                        "drift-window",
                                        PrimitiveArrayTypeInfo.DOUBLE_PRIMITIVE_ARRAY_TYPE_INFO));
        rff = profile.rff();
        window = new DriftWindow(profile.features(), profile.classes().size(), settings);
        scratch = new double[profile.features()];
        latest = new HashMap<>();
        metrics = getRuntimeContext().getMetricGroup();
    }

    @Override
    public void processElement(ClassifiedCell cell, Context ctx, Collector<ScannerDrift> out)
            throws Exception {
        List<Float> e = cell.getEmbedding();
        if (e == null || e.size() != profile.center().length) {
            return;
        }
        float[] v = new float[e.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = e.get(i);
        }
        double[] s = state.value();
        if (s == null || s.length != window.length()) {
            if (s != null) {
                LOG.info(
                        "drift window of scanner {} was built for another profile or window;"
                                + " starting it afresh",
                        ctx.getCurrentKey());
            }
            s = window.empty();
        }
        java.util.Arrays.fill(scratch, 0.0);
        double sq = rff.addTo(profile.prepare(v), scratch, 0);
        double sim = cell.getTypeSimilarity() == null ? Double.NaN : cell.getTypeSimilarity();
        boolean due =
                window.add(
                        s,
                        scratch,
                        sq,
                        cell.getUnknownReason() != null,
                        mostProbable(cell),
                        sim,
                        cell.getCaptureTime().toEpochMilli());
        if (due) {
            ScannerDrift d = measure(ctx.getCurrentKey(), window.totals(s));
            window.advance(s);
            publish(d);
            out.collect(d);
        }
        state.update(s);
    }

    /** The most probable class's index in the profile's class order (-1 when unknown to it). */
    private int mostProbable(ClassifiedCell cell) {
        List<LabelProbability> p = cell.getTypeProbabilities();
        int best = -1;
        float bp = -1;
        for (int i = 0; i < p.size(); i++) {
            if (p.get(i).getProbability() > bp) {
                bp = p.get(i).getProbability();
                best = i;
            }
        }
        return best < 0 ? -1 : profile.classes().indexOf(p.get(best).getLabel());
    }

    /** The window against the profile. */
    ScannerDrift measure(String scanner, DriftWindow.Totals t) {
        int n = t.n();
        int c = profile.classes().size();
        double[] phi = t.phi();
        // The window's class mix; cells of a class the fitting cells (almost) lacked, and cells
        // without a class, are compared with the overall reference mean (index c).
        double[] w = new double[c + 1];
        double assigned = 0;
        for (int k = 0; k < c; k++) {
            if (profile.classCells(k) >= 2 && n > 0) {
                w[k] = t.classCount()[k] / n;
                assigned += w[k];
            }
        }
        w[c] = Math.max(0, 1 - assigned);
        double ss = 0;
        double crossRaw = 0;
        double crossAdj = 0;
        double[] mu = profile.rffMean();
        for (int j = 0; j < phi.length; j++) {
            ss += phi[j] * phi[j];
            crossRaw += phi[j] * mu[j];
            double m = w[c] * mu[j];
            for (int k = 0; k < c; k++) {
                if (w[k] > 0) {
                    m += w[k] * profile.classRffMean()[k][j];
                }
            }
            crossAdj += phi[j] * m;
        }
        double adjSq = 0;
        for (int a = 0; a <= c; a++) {
            for (int b = 0; b <= c; b++) {
                adjSq += w[a] * w[b] * profile.classGram()[a][b];
            }
        }
        double within = n > 1 ? (ss - t.sumSq()) / ((double) n * (n - 1)) : Double.NaN;
        double mmd2Raw = within - 2 * crossRaw / n + profile.rffMeanSq();
        double mmd2 = within - 2 * crossAdj / n + adjSq;
        double drop = 0;
        double weight = 0;
        for (int k = 0; k < c; k++) {
            double ref = profile.similarityMean()[k];
            double cnt = t.simCount()[k];
            if (cnt > 0 && !Double.isNaN(ref)) {
                drop += cnt * (ref - t.simSum()[k] / cnt);
                weight += cnt;
            }
        }
        Double similarityDrop = weight > 0 ? drop / weight : null;
        double unknownRate = n > 0 ? t.unknown() / (double) n : 0;
        boolean alert = n >= settings.minCells() && mmd2 > settings.mmd2Threshold();
        String reason =
                alert
                        ? String.format(
                                Locale.ROOT,
                                "scanner %s drifted: MMD^2 %.4f > %.4f over its last %d cells"
                                        + " (unknown rate %.1f%%, reference %.1f%%)",
                                scanner,
                                mmd2,
                                settings.mmd2Threshold(),
                                n,
                                100 * unknownRate,
                                100 * profile.unknownRate())
                        : null;
        return ScannerDrift.newBuilder()
                .setScannerId(scanner)
                .setSite(null)
                .setHeadModelId(headModelId)
                .setCellsSeen(t.cellsSeen())
                .setWindowCells(n)
                .setLastCaptureTime(Instant.ofEpochMilli(t.lastCaptureMillis()))
                .setMmd2(mmd2)
                .setMmd2Unadjusted(mmd2Raw)
                .setMmd2Threshold(settings.mmd2Threshold())
                .setSimilarityDrop(similarityDrop)
                .setUnknownRate(unknownRate)
                .setReferenceUnknownRate(profile.unknownRate())
                .setAlert(alert)
                .setReason(reason)
                .build();
    }

    /** Latest value per scanner for the gauges; one gauge set per scanner seen by this subtask. */
    private void publish(ScannerDrift d) {
        String id = d.getScannerId();
        if (latest.put(id, d) == null) {
            MetricGroup g = metrics.addGroup("scanner", id);
            g.gauge("driftMmd2", (Gauge<Double>) () -> latest.get(id).getMmd2());
            g.gauge(
                    "driftSimilarityDrop",
                    (Gauge<Double>)
                            () -> {
                                Double v = latest.get(id).getSimilarityDrop();
                                return v == null ? Double.NaN : v;
                            });
            g.gauge("driftUnknownRate", (Gauge<Double>) () -> latest.get(id).getUnknownRate());
            g.gauge("driftAlert", (Gauge<Integer>) () -> latest.get(id).getAlert() ? 1 : 0);
            g.gauge("driftWindowCells", (Gauge<Integer>) () -> latest.get(id).getWindowCells());
        }
    }
}
