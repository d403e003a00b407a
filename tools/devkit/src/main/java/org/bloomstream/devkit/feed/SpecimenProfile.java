package org.bloomstream.devkit.feed;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The cell-type mix of a synthetic specimen, by AML subtype or control. Loosely modelled on the
 * peripheral-blood pictures of the SCEMILA subtypes: APL (PML::RARA) full of abnormal
 * promyelocytes, CBFB::MYH11 with blasts, monocytes and eosinophils, NPM1 blast-rich with
 * monocytes, RUNX1::RUNX1T1 blasts with maturing neutrophils. Illustrative proportions, not
 * clinical reference values.
 *
 * <p>Labels are the AML classes of the DinoBloom/SCEMILA MIL evaluation, in its class order.
 */
public enum SpecimenProfile {
    CBFB_MYH11("CBFB::MYH11", mix(0.12, 0.10, 0.25, 0.20, 0.01, 0.32, 0.0)),
    NPM1("NPM1", mix(0.08, 0.12, 0.12, 0.01, 0.01, 0.66, 0.0)),
    PML_RARA("PML::RARA", mix(0.08, 0.20, 0.02, 0.01, 0.0, 0.09, 0.60)),
    RUNX1_RUNX1T1("RUNX1::RUNX1T1", mix(0.40, 0.15, 0.03, 0.04, 0.02, 0.36, 0.0)),
    CONTROL("control", mix(0.59, 0.30, 0.07, 0.03, 0.01, 0.0, 0.0));

    private final String label;
    private final Map<CellKind, Double> fractions;
    private final double[] cumulative;

    SpecimenProfile(String label, double[] mix) {
        this.label = label;
        this.fractions = new EnumMap<>(CellKind.class);
        this.cumulative = new double[mix.length];
        double total = 0;
        for (double m : mix) {
            total += m;
        }
        double acc = 0;
        CellKind[] kinds = CellKind.values();
        for (int i = 0; i < mix.length; i++) {
            fractions.put(kinds[i], mix[i] / total);
            acc += mix[i] / total;
            cumulative[i] = acc;
        }
        cumulative[mix.length - 1] = 1.0;
    }

    /** Fractions in {@link CellKind} declaration order. */
    private static double[] mix(double... byKind) {
        if (byKind.length != CellKind.values().length) {
            throw new IllegalArgumentException("one fraction per cell kind");
        }
        return byKind;
    }

    /** The class label used by the MIL model and in alerts. */
    public String label() {
        return label;
    }

    public boolean isControl() {
        return this == CONTROL;
    }

    /** Expected fraction of cells of this kind. */
    public double fraction(CellKind kind) {
        return fractions.get(kind);
    }

    /** Draws one cell kind from the mix. */
    public CellKind sample(SplittableRandom random) {
        double u = random.nextDouble();
        CellKind[] kinds = CellKind.values();
        for (int i = 0; i < cumulative.length; i++) {
            if (u < cumulative[i] && fractions.get(kinds[i]) > 0) {
                return kinds[i];
            }
        }
        return kinds[kinds.length - 1];
    }

    /** All class labels in MIL output order. */
    public static List<String> labels() {
        return java.util.Arrays.stream(values()).map(SpecimenProfile::label).toList();
    }

    public static SpecimenProfile fromLabel(String label) {
        for (SpecimenProfile p : values()) {
            if (p.label.equalsIgnoreCase(label)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown profile '" + label + "'; known: " + labels());
    }
}
