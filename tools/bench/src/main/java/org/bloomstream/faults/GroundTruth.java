package org.bloomstream.faults;

import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.bloomstream.devkit.feed.Emission;

/**
 * What was sent, recorded as the reference run sends the crops: the checks compare the faulted
 * run's output with this, not with what the scanner was configured to do.
 */
final class GroundTruth {
    /** Ids of good crops: each must be classified exactly once. */
    final Set<String> good = new HashSet<>();

    /** Ids of broken crops: each must be dead-lettered exactly once. */
    final Set<String> bad = new HashSet<>();

    /** Crops, good and broken, per specimen: what its report must account for. */
    final Map<String, Integer> cropsPerSpecimen = new LinkedHashMap<>();

    /** Broken crops without an id, which only the gate can dead-letter. */
    long badWithoutId;

    /** The feed, recording every crop into this as it passes. */
    Iterable<Emission> observe(Iterable<Emission> feed) {
        return () -> {
            Iterator<Emission> it = feed.iterator();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Emission next() {
                    Emission e = it.next();
                    record(e);
                    return e;
                }
            };
        };
    }

    private void record(Emission e) {
        if (e.type() == Emission.Type.CROP) {
            good.add(e.cellId());
            cropsPerSpecimen.merge(e.specimenId(), 1, Integer::sum);
        } else if (e.type() == Emission.Type.BAD_CROP) {
            if (e.cellId() != null) {
                bad.add(e.cellId());
            } else {
                badWithoutId++;
            }
            cropsPerSpecimen.merge(e.specimenId(), 1, Integer::sum);
        }
    }
}
