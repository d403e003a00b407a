package org.bloomstream.aggregation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.bloomstream.aggregation.alert.AlertPolicy;
import org.bloomstream.aggregation.mil.MilModel;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.AttendedCells;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.CloseReason;
import org.bloomstream.schemas.avro.LabelProbability;
import org.bloomstream.schemas.avro.SpecimenPhase;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.avro.SpecimenStatus;
import org.bloomstream.schemas.avro.TypeCount;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-specimen streaming MIL. Keyed by specimen id; input 1 is classified cells, input 2 is
 * {@link SpecimenSignal}s (scan started/finished, cells lost to dead letters).
 *
 * <p>Each cell updates the exact attention pool over its embedding (attention logits come from
 * {@link MilInstanceScorer} upstream, or are computed here when absent), the differential and the
 * top-attended cells; after {@link AlertPolicy#minCells()} cells, each update re-evaluates the bag
 * head and the alert policy. Alerts go to the main output; the one final report per specimen goes
 * to {@link #REPORTS} when every emitted cell is accounted for after scan-finished, when the finish
 * grace period runs out, or after the inactivity timeout.
 *
 * <p>While a specimen is open, a {@link SpecimenStatus} (current probabilities, progress,
 * differential, most attended cells) goes to {@link #STATUS}, throttled by a {@link
 * StatusThrottle}; scan-finished and the close always publish one, the last with phase {@code
 * CLOSED}. The throttle keeps three numbers in the state, so the state stays O(C*D).
 *
 * <p>After the report the state is cleared and a small tombstone is kept for {@link #TOMBSTONE_TTL}
 * (removed by a timer; a state TTL backs it up): cells that arrive later are counted in the {@code
 * lateCells} metric and ignored, so a specimen is never reported twice. They are not lost: they are
 * on {@code cells.classified} like every other cell. A cell that arrives after the tombstone is
 * gone opens the specimen again and, after the inactivity timeout, gets a second report; the
 * tombstone period should therefore exceed the longest plausible delay.
 */
public class SpecimenMilFunction
        extends KeyedCoProcessFunction<String, ClassifiedCell, SpecimenSignal, AmlAlert> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SpecimenMilFunction.class);

    public static final OutputTag<SpecimenReport> REPORTS = new OutputTag<>("reports") {};

    /** Throttled live status of open specimens, and a last one at close. */
    public static final OutputTag<SpecimenStatus> STATUS = new OutputTag<>("status") {};

    /** How long a closed specimen's tombstone catches late cells. */
    static final Duration TOMBSTONE_TTL = Duration.ofHours(6);

    private final MilModel model;
    private final AlertPolicy policy;
    private final StatusThrottle throttle;
    private final String milModelId;

    private transient MilModel.Runtime runtime;
    private transient ValueState<SpecimenState> state;
    private transient ValueState<Long> closedAt;
    private transient AtomicLong open;
    private transient Counter alerts;
    private transient Counter reports;
    private transient Counter lateCells;
    private transient Counter statuses;
    private transient Counter[] alertsByClass;

    public SpecimenMilFunction(MilModel model, AlertPolicy policy) {
        this(model, policy, StatusThrottle.DEFAULT);
    }

    public SpecimenMilFunction(MilModel model, AlertPolicy policy, StatusThrottle throttle) {
        this.model = model;
        this.policy = policy;
        this.throttle = throttle;
        this.milModelId = model.modelId();
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        runtime = model.open();
        ValueStateDescriptor<SpecimenState> sd =
                new ValueStateDescriptor<>("specimen", SpecimenState.class);
        // The inactivity timeout closes specimens long before this; the TTL is a backstop so a
        // bug or a lost timer can never grow state without bound.
        sd.enableTimeToLive(
                StateTtlConfig.newBuilder(policy.inactivityTimeout().multipliedBy(4)).build());
        state = getRuntimeContext().getState(sd);
        ValueStateDescriptor<Long> cd = new ValueStateDescriptor<>("closed-at", Long.class);
        cd.enableTimeToLive(StateTtlConfig.newBuilder(TOMBSTONE_TTL.multipliedBy(2)).build());
        closedAt = getRuntimeContext().getState(cd);

        MetricGroup g = getRuntimeContext().getMetricGroup();
        open = new AtomicLong();
        g.gauge("openSpecimens", open::get);
        alerts = g.counter("alerts");
        reports = g.counter("reports");
        lateCells = g.counter("lateCells");
        statuses = g.counter("statusUpdates");
        List<String> classes = model.classes();
        alertsByClass = new Counter[classes.size()];
        for (int c = 0; c < classes.size(); c++) {
            alertsByClass[c] = g.addGroup("subtype", classes.get(c)).counter("alerts");
        }
    }

    @Override
    public void processElement1(ClassifiedCell cell, Context ctx, Collector<AmlAlert> out)
            throws Exception {
        if (closedAt.value() != null) {
            lateCells.inc();
            return;
        }
        long now = ctx.timerService().currentProcessingTime();
        SpecimenState s = stateFor(ctx, now);
        if (s.scanId == null) {
            s.scanId = cell.getScanId();
        }
        s.embeddingModelId = cell.getEmbeddingModelId();
        s.headModelId = cell.getHeadModelId();
        if (cell.getEmbedding() == null) {
            throw new IllegalStateException("cell without embedding reached the specimen MIL");
        }
        float[] embedding = toArray(cell.getEmbedding());
        float[] attention =
                cell.getMilAttention() != null
                        ? toArray(cell.getMilAttention())
                        : runtime.attention(embedding);
        s.pool.add(attention, embedding);
        s.countType(cell.getCellType());
        s.offerAttended(cell.getCellId(), attention);
        long capture = cell.getCaptureTime().toEpochMilli();
        s.firstCellTime = Math.min(s.firstCellTime, capture);
        s.lastCellTime = Math.max(s.lastCellTime, capture);
        s.lastActivity = now;

        double[] p = s.cells() >= policy.minCells() ? evaluateAlert(s, now, out) : null;
        if (s.complete()) {
            close(s, CloseReason.SCAN_FINISHED, now, ctx);
        } else {
            maybeStatus(s, now, ctx, p, false);
            state.update(s);
        }
    }

    @Override
    public void processElement2(SpecimenSignal signal, Context ctx, Collector<AmlAlert> out)
            throws Exception {
        if (closedAt.value() != null) {
            return;
        }
        long now = ctx.timerService().currentProcessingTime();
        SpecimenState s = stateFor(ctx, now);
        s.lastActivity = now;
        boolean force = false;
        switch (signal.kind) {
            case STARTED:
                s.scanId = signal.scanId;
                break;
            case FINISHED:
                s.finished = true;
                s.finishedAt = now;
                s.expectedCells = signal.expectedCells;
                force = true;
                if (s.scanId == null) {
                    s.scanId = signal.scanId;
                }
                ctx.timerService()
                        .registerProcessingTimeTimer(now + policy.finishGrace().toMillis());
                break;
            case CELL_LOST:
                s.deadLettered++;
                break;
            default:
                throw new IllegalStateException("unknown signal " + signal.kind);
        }
        if (s.complete()) {
            close(s, CloseReason.SCAN_FINISHED, now, ctx);
        } else {
            maybeStatus(s, now, ctx, null, force);
            state.update(s);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<AmlAlert> out)
            throws Exception {
        long now = ctx.timerService().currentProcessingTime();
        SpecimenState s = state.value();
        if (s == null) {
            Long closed = closedAt.value();
            if (closed != null && now >= closed + TOMBSTONE_TTL.toMillis()) {
                closedAt.clear();
            }
            return; // otherwise a leftover timer of the closed specimen
        }
        // The grace runs from the last sign of life, not from scan-finished: a pipeline that is
        // behind delivers a specimen's cells long after its finish event, and must not close it
        // while they still trickle in.
        long graceEnd = Math.max(s.finishedAt, s.lastActivity) + policy.finishGrace().toMillis();
        long idleEnd = s.lastActivity + policy.inactivityTimeout().toMillis();
        if (s.finished && now >= graceEnd) {
            close(s, CloseReason.SCAN_FINISHED, now, ctx);
        } else if (now >= idleEnd) {
            close(s, CloseReason.INACTIVITY_TIMEOUT, now, ctx);
        } else {
            ctx.timerService()
                    .registerProcessingTimeTimer(
                            s.finished ? Math.min(graceEnd, idleEnd) : idleEnd);
        }
    }

    private SpecimenState stateFor(Context ctx, long now) throws Exception {
        SpecimenState s = state.value();
        if (s == null) {
            s =
                    new SpecimenState(
                            ctx.getCurrentKey(),
                            model.classes().size(),
                            model.embeddingDim(),
                            policy.topK());
            open.incrementAndGet();
            ctx.timerService()
                    .registerProcessingTimeTimer(now + policy.inactivityTimeout().toMillis());
        }
        return s;
    }

    /** Evaluates the bag and the alert policy; returns the class probabilities. */
    private double[] evaluateAlert(SpecimenState s, long now, Collector<AmlAlert> out) {
        double[] p = MilModel.softmax(runtime.logits(s.pool.pooled()));
        List<String> classes = model.classes();
        int call = argmax(p);
        String label = classes.get(call);
        boolean qualifies =
                !label.equals(model.controlClass()) && p[call] >= policy.thresholdFor(label);
        if (!qualifies) {
            s.streakClass = -1;
            s.streakLength = 0;
            return p;
        }
        if (s.streakClass == call) {
            s.streakLength++;
        } else {
            s.streakClass = call;
            s.streakLength = 1;
        }
        if (s.streakLength >= policy.stableUpdates() && s.lastAlertedClass != call) {
            s.alertVersion++;
            s.lastAlertedClass = call;
            String alertId = s.specimenId + "/" + label + "/" + s.alertVersion;
            s.addAlert(alertId);
            alerts.inc();
            alertsByClass[call].inc();
            out.collect(
                    AmlAlert.newBuilder()
                            .setAlertId(alertId)
                            .setSpecimenId(s.specimenId)
                            .setScanId(s.scanId == null ? "" : s.scanId)
                            .setSubtype(label)
                            .setVersion(s.alertVersion)
                            .setProbability((float) p[call])
                            .setProbabilities(probabilities(p))
                            .setCellCount(s.cells())
                            .setDifferential(differential(s))
                            .setTopAttendedCellIds(topCells(s, call))
                            .setEmbeddingModelId(s.embeddingModelId)
                            .setHeadModelId(s.headModelId)
                            .setMilModelId(milModelId)
                            .setFirstCellTime(Instant.ofEpochMilli(s.firstCellTime))
                            .setAlertTime(Instant.ofEpochMilli(now))
                            .build());
        }
        return p;
    }

    /**
     * Publishes a status if one is due (or {@code force}). {@code p} are the current probabilities
     * when the caller already has them; otherwise the bag head runs here.
     */
    private void maybeStatus(SpecimenState s, long now, Context ctx, double[] p, boolean force) {
        boolean due =
                force
                        || (s.statusSequence == 0 && s.progress() > 0)
                        || throttle.due(s.progress(), s.statusProgress, now, s.statusAt);
        if (due) {
            emitStatus(
                    s,
                    s.finished ? SpecimenPhase.SCAN_FINISHED : SpecimenPhase.SCANNING,
                    now,
                    ctx,
                    p);
        }
    }

    private void emitStatus(
            SpecimenState s, SpecimenPhase phase, long now, Context ctx, double[] p) {
        if (p == null && s.cells() > 0) {
            p = MilModel.softmax(runtime.logits(s.pool.pooled()));
        }
        s.statusSequence++;
        s.statusAt = now;
        s.statusProgress = s.progress();
        List<String> classes = model.classes();
        List<AttendedCells> attended = new ArrayList<>(classes.size());
        for (int c = 0; c < classes.size(); c++) {
            attended.add(new AttendedCells(classes.get(c), topCells(s, c)));
        }
        boolean any = s.cells() > 0;
        ctx.output(
                STATUS,
                SpecimenStatus.newBuilder()
                        .setSpecimenId(s.specimenId)
                        .setScanId(s.scanId == null ? "" : s.scanId)
                        .setSequence(s.statusSequence)
                        .setPhase(phase)
                        .setCellCount(s.cells())
                        .setDeadLetteredCells(s.deadLettered)
                        .setExpectedCells(s.expectedCells >= 0 ? s.expectedCells : null)
                        .setMinCells(policy.minCells())
                        .setCall(p == null ? null : classes.get(argmax(p)))
                        .setProbabilities(p == null ? List.of() : probabilities(p))
                        .setDifferential(differential(s))
                        .setTopAttended(attended)
                        .setAlertsRaised(Arrays.asList(s.alertsRaised))
                        .setMilModelId(milModelId)
                        .setFirstCellTime(any ? Instant.ofEpochMilli(s.firstCellTime) : null)
                        .setLastCellTime(any ? Instant.ofEpochMilli(s.lastCellTime) : null)
                        .setStatusTime(Instant.ofEpochMilli(now))
                        .build());
        statuses.inc();
    }

    private void close(SpecimenState s, CloseReason reason, long now, Context ctx)
            throws Exception {
        List<String> classes = model.classes();
        List<LabelProbability> probs = List.of();
        String call = "none";
        double[] p = null;
        if (s.cells() > 0) {
            p = MilModel.softmax(runtime.logits(s.pool.pooled()));
            probs = probabilities(p);
            call = classes.get(argmax(p));
        }
        emitStatus(s, SpecimenPhase.CLOSED, now, ctx, p);
        List<AttendedCells> attended = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            attended.add(new AttendedCells(classes.get(c), topCells(s, c)));
        }
        long first = s.cells() > 0 ? s.firstCellTime : now;
        long last = s.cells() > 0 ? s.lastCellTime : now;
        ctx.output(
                REPORTS,
                SpecimenReport.newBuilder()
                        .setSpecimenId(s.specimenId)
                        .setScanId(s.scanId == null ? "" : s.scanId)
                        .setCloseReason(reason)
                        .setExpectedCells(s.expectedCells >= 0 ? s.expectedCells : null)
                        .setCellCount(s.cells())
                        .setDeadLetteredCells(s.deadLettered)
                        .setCall(call)
                        .setProbabilities(probs)
                        .setDifferential(differential(s))
                        .setTopAttended(attended)
                        .setAlertsRaised(Arrays.asList(s.alertsRaised))
                        .setEmbeddingModelId(s.embeddingModelId)
                        .setHeadModelId(s.headModelId)
                        .setMilModelId(milModelId)
                        .setFirstCellTime(Instant.ofEpochMilli(first))
                        .setLastCellTime(Instant.ofEpochMilli(last))
                        .setReportTime(Instant.ofEpochMilli(now))
                        .build());
        reports.inc();
        open.decrementAndGet();
        state.clear();
        closedAt.update(now);
        ctx.timerService().registerProcessingTimeTimer(now + TOMBSTONE_TTL.toMillis());
        if (reason == CloseReason.SCAN_FINISHED && s.expectedCells >= 0 && !s.complete()) {
            // Counts only: specimen ids may identify a patient and stay out of logs.
            LOG.warn(
                    "specimen closed after finish grace with {} of {} cells ({} dead-lettered)",
                    s.cells(),
                    s.expectedCells,
                    s.deadLettered);
        }
    }

    @Override
    public void close() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
        super.close();
    }

    static float[] toArray(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    private List<LabelProbability> probabilities(double[] p) {
        List<String> classes = model.classes();
        List<LabelProbability> out = new ArrayList<>(p.length);
        for (int c = 0; c < p.length; c++) {
            out.add(new LabelProbability(classes.get(c), (float) p[c]));
        }
        return out;
    }

    private static List<TypeCount> differential(SpecimenState s) {
        List<TypeCount> out = new ArrayList<>(s.typeLabels.length);
        for (int i = 0; i < s.typeLabels.length; i++) {
            out.add(new TypeCount(s.typeLabels[i], s.typeCounts[i]));
        }
        out.sort((a, b) -> Long.compare(b.getCount(), a.getCount()));
        return out;
    }

    private static List<String> topCells(SpecimenState s, int c) {
        List<String> ids = new ArrayList<>(s.topK);
        for (int i = 0; i < s.topK; i++) {
            String id = s.topIds[c * s.topK + i];
            if (id != null) {
                ids.add(id);
            }
        }
        return ids;
    }

    private static int argmax(double[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[best]) {
                best = i;
            }
        }
        return best;
    }
}
