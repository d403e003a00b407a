package org.bloomstream.devkit.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What became of the records of one fuzz run: accepted, dead-lettered by reason, and crashes (an
 * exception out of the gate, a failed job). {@link #line()} is the line the fuzz prints.
 */
public final class FuzzTally {
    private final long seed;
    private final int fed;
    private long accepted;
    private final Map<String, Long> deadByReason = new TreeMap<>();
    private final Map<String, Long> deadByStage = new TreeMap<>();
    private long crashes;
    private final List<String> problems = new ArrayList<>();

    public FuzzTally(long seed, int fed) {
        this.seed = seed;
        this.fed = fed;
    }

    public synchronized void accepted() {
        accepted++;
    }

    public synchronized void accepted(long n) {
        accepted += n;
    }

    public synchronized void dead(String reason) {
        deadByReason.merge(reason, 1L, Long::sum);
    }

    /** A dead letter, remembering which stage (gate, decode, embed) wrote it. */
    public synchronized void dead(String reason, String stage) {
        dead(reason);
        deadByStage.merge(String.valueOf(stage), 1L, Long::sum);
    }

    /** A crash: an exception that escaped, or a job that stopped. Also a problem. */
    public synchronized void crash(String what) {
        crashes++;
        problems.add("crash: " + what);
    }

    /**
     * An accounting violation (a record with no outcome, or two, or a dead letter with no reason).
     */
    public synchronized void problem(String what) {
        problems.add(what);
    }

    public long seed() {
        return seed;
    }

    public int fed() {
        return fed;
    }

    public synchronized long acceptedCount() {
        return accepted;
    }

    public synchronized long deadCount() {
        return deadByReason.values().stream().mapToLong(Long::longValue).sum();
    }

    public synchronized Map<String, Long> deadByReason() {
        return new TreeMap<>(deadByReason);
    }

    public synchronized Map<String, Long> deadByStage() {
        return new TreeMap<>(deadByStage);
    }

    public synchronized long crashes() {
        return crashes;
    }

    public synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    /** Zero crashes, no problems, and every record fed has exactly one outcome. */
    public synchronized boolean ok() {
        return crashes == 0 && problems.isEmpty() && accepted + deadCount() == fed;
    }

    /** {@code fuzz: seed S, N records: A accepted, D dead (REASON: n, ...), C crashes}. */
    public synchronized String line() {
        return "fuzz: seed "
                + seed
                + ", "
                + fed
                + " records: "
                + accepted
                + " accepted, "
                + deadCount()
                + " dead ("
                + deadByReason.entrySet().stream()
                        .map(e -> e.getKey() + ": " + e.getValue())
                        .collect(Collectors.joining(", "))
                + "), "
                + crashes
                + " crashes";
    }

    @Override
    public String toString() {
        return line();
    }
}
