package org.bloomstream.devkit.feed;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The morphologies the synthetic scanner can draw. */
public enum CellKind {
    /** Segmented neutrophil: 3-5 nuclear lobes, pale finely granular cytoplasm. */
    NEUTROPHIL("neutrophil"),
    /** Small lymphocyte: dense round nucleus, thin rim of sky-blue cytoplasm. */
    LYMPHOCYTE("lymphocyte"),
    /** Monocyte: large, folded or kidney-shaped nucleus, grey-blue vacuolated cytoplasm. */
    MONOCYTE("monocyte"),
    /** Eosinophil: bilobed nucleus, coarse orange-red granules. */
    EOSINOPHIL("eosinophil"),
    /** Basophil: dark blue-purple granules obscuring the nucleus. */
    BASOPHIL("basophil"),
    /** Myeloblast: high N:C ratio, fine chromatin, nucleoli, occasionally an Auer rod. */
    BLAST("blast"),
    /** Abnormal (APL-like) promyelocyte: heavy azurophilic granules, sometimes Auer rod bundles. */
    PROMYELOCYTE("promyelocyte");

    private final String label;

    CellKind(String label) {
        this.label = label;
    }

    /** The lower-case label, as used in label files and on the wire. */
    public String label() {
        return label;
    }

    /**
     * The kind with the given label, ignoring case and surrounding white space.
     *
     * @throws IllegalArgumentException if no kind has that label (the message names the valid ones)
     */
    public static CellKind fromLabel(String label) {
        if (label != null) {
            String wanted = label.strip().toLowerCase(Locale.ROOT);
            for (CellKind kind : values()) {
                if (kind.label.equals(wanted)) {
                    return kind;
                }
            }
        }
        throw new IllegalArgumentException(
                "unknown cell kind '"
                        + label
                        + "'; valid labels are "
                        + Arrays.stream(values())
                                .map(CellKind::label)
                                .collect(Collectors.joining(", ")));
    }
}
