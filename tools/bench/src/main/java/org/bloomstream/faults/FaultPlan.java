package org.bloomstream.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.bloomstream.faults.FaultRun.Fault;
import org.bloomstream.faults.FaultRun.Kind;

/** When the faulted run injects what: a seeded, reproducible schedule. */
public final class FaultPlan {
    private FaultPlan() {}

    /**
     * The seeded plan: {@code n} faults at increasing points between 10% and 85% of the crops;
     * kinds cycle through a seeded order of all four, so each appears before any repeats.
     */
    public static List<Fault> seeded(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        List<Kind> order = new ArrayList<>(List.of(Kind.values()));
        for (int i = order.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            Kind k = order.get(i);
            order.set(i, order.get(j));
            order.set(j, k);
        }
        List<Double> at = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // stratified: one point per slice, so faults spread over the run
            double lo = 0.10 + 0.75 * i / n;
            double hi = 0.10 + 0.75 * (i + 1) / n;
            at.add(lo + (hi - lo) * r.nextDouble());
        }
        List<Fault> plan = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Kind k = order.get(i % order.size());
            Duration d =
                    switch (k) {
                        case BROKER_RESTART -> Duration.ofMillis(500 + r.nextInt(2500));
                        case SINK_STALL -> Duration.ofMillis(1500 + r.nextInt(3500));
                        default -> Duration.ZERO;
                    };
            plan.add(new Fault(k, at.get(i), d));
        }
        return plan;
    }

    /** The plan as the suite's first line shows it: {@code broker-restart@23%, ...}. */
    static String describe(List<Fault> plan) {
        return plan.stream()
                .map(f -> String.format(Locale.ROOT, "%s@%.0f%%", f.kind().label, f.at() * 100))
                .collect(Collectors.joining(", "));
    }
}
