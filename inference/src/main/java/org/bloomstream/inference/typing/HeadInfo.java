package org.bloomstream.inference.typing;

import java.io.Serializable;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every head file records besides its parameters: identity, the embedding model and width, the
 * class vocabulary, the unknown thresholds and free-form provenance.
 */
public record HeadInfo(
        String headId,
        String embeddingModelId,
        int dim,
        List<String> classes,
        UnknownPolicy unknownPolicy,
        Map<String, String> provenance)
        implements Serializable {

    public HeadInfo {
        if (headId == null || headId.isBlank()) {
            throw new IllegalArgumentException("a head needs an id");
        }
        if (embeddingModelId == null || embeddingModelId.isBlank()) {
            throw new IllegalArgumentException("a head needs the id of its embedding model");
        }
        if (dim < 1) {
            throw new IllegalArgumentException("dim must be positive, was " + dim);
        }
        if (classes == null || classes.isEmpty()) {
            throw new IllegalArgumentException("a head needs at least one class");
        }
        if (new HashSet<>(classes).size() != classes.size()) {
            throw new IllegalArgumentException("classes must be distinct: " + classes);
        }
        for (String c : classes) {
            if (c == null || c.isBlank() || c.equalsIgnoreCase(CellTypeHead.UNKNOWN)) {
                throw new IllegalArgumentException(
                        "'" + c + "' cannot be a class: empty, or reserved for unknown cells");
            }
        }
        classes = List.copyOf(classes);
        unknownPolicy = unknownPolicy == null ? UnknownPolicy.OFF : unknownPolicy;
        provenance =
                provenance == null
                        ? Map.of()
                        : Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
    }

    public HeadInfo withUnknownPolicy(UnknownPolicy p) {
        return new HeadInfo(headId, embeddingModelId, dim, classes, p, provenance);
    }
}
