package org.bloomstream.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * CPU time of the embedded runtime's threads, by who owns them: the Flink job, the broker, the
 * ingest gate, the benchmark's own feed and tally, Flink's runtime, and the rest. Everything runs
 * in one JVM ({@code EmbeddedRuntime}), so the process CPU alone cannot say what the job costs;
 * per-thread CPU time ({@link ThreadMXBean#getThreadCpuTime}) can.
 *
 * <p>Threads are told apart by name. Flink names a task thread after its chain and subtask ({@code
 * "Source: accepted-crops -> decode-resize (1/2)#0"}), a split fetcher {@code "Source Data Fetcher
 * for ..."}, and the job's Kafka sinks use transactional producers whose client id is {@code
 * producer-<transactional id>}, which starts with the job's prefix. The gate's Kafka Streams
 * threads carry its application id. What is left in a Kafka thread belongs to the broker.
 *
 * <p>Limits: a thread that ends inside the window is not counted (none of the job's do while it
 * runs), and the JVM's own threads (GC, JIT compilers) are not Java threads: their CPU is the
 * process CPU minus the sum over Java threads, reported as {@link Owner#JVM}, shared by all.
 */
final class ThreadCpu {
    /** Who a thread works for. */
    enum Owner {
        JOB,
        BROKER,
        GATE,
        BENCH,
        FLINK_RUNTIME,
        OTHER,
        JVM
    }

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final Pattern TASK = Pattern.compile(".* \\(\\d+/\\d+\\)#\\d+$");

    /** Per-thread CPU nanoseconds at one instant, and the process CPU. */
    record Snapshot(Map<Long, Long> cpuNanos, Map<Long, String> names, long processNanos) {}

    /**
     * CPU over a window, by owner, in nanoseconds; the top threads, for a reader to check; and the
     * job's threads summed by kind ({@link #kind}), to see what of the job is not its task threads.
     */
    record Usage(
            Map<Owner, Long> nanos,
            List<Map.Entry<String, Long>> topThreads,
            List<Map.Entry<String, Long>> jobKinds) {
        double msPer(Owner o, long crops) {
            return nanos.getOrDefault(o, 0L) / 1e6 / crops;
        }
    }

    private final String jobProducerPrefix;
    private final String gateApplicationId;

    /**
     * @param jobTransactionalIdPrefix the job's {@code transactionalIdPrefix}
     * @param gateApplicationId the gate's Kafka Streams application id
     */
    ThreadCpu(String jobTransactionalIdPrefix, String gateApplicationId) {
        this.jobProducerPrefix = "producer-" + jobTransactionalIdPrefix;
        this.gateApplicationId = gateApplicationId;
    }

    static boolean supported() {
        return THREADS.isThreadCpuTimeSupported();
    }

    static Snapshot snapshot() {
        if (!THREADS.isThreadCpuTimeEnabled()) {
            THREADS.setThreadCpuTimeEnabled(true);
        }
        Map<Long, Long> cpu = new HashMap<>();
        Map<Long, String> names = new HashMap<>();
        for (ThreadInfo t : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (t == null) {
                continue; // ended between the two calls
            }
            long c = THREADS.getThreadCpuTime(t.getThreadId());
            if (c >= 0) {
                cpu.put(t.getThreadId(), c);
                names.put(t.getThreadId(), t.getThreadName());
            }
        }
        return new Snapshot(cpu, names, processCpuNanos());
    }

    static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os =
                ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return -1;
    }

    /** CPU spent between {@code from} and {@code to}, by owner. */
    Usage between(Snapshot from, Snapshot to) {
        Map<Owner, Long> by = new EnumMap<>(Owner.class);
        Map<String, Long> byName = new HashMap<>();
        Map<String, Long> jobKinds = new HashMap<>();
        long javaThreads = 0;
        for (Map.Entry<Long, Long> e : to.cpuNanos().entrySet()) {
            long d = e.getValue() - from.cpuNanos().getOrDefault(e.getKey(), 0L);
            if (d <= 0) {
                continue;
            }
            String name = to.names().get(e.getKey());
            Owner o = owner(name);
            by.merge(o, d, Long::sum);
            byName.merge(name, d, Long::sum);
            if (o == Owner.JOB) {
                jobKinds.merge(kind(name), d, Long::sum);
            }
            javaThreads += d;
        }
        if (from.processNanos() >= 0 && to.processNanos() >= 0) {
            by.put(Owner.JVM, Math.max(0, to.processNanos() - from.processNanos() - javaThreads));
        }
        List<Map.Entry<String, Long>> top =
                byName.entrySet().stream()
                        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .limit(12)
                        .toList();
        List<Map.Entry<String, Long>> kinds =
                jobKinds.entrySet().stream()
                        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .toList();
        return new Usage(by, top, kinds);
    }

    /**
     * A thread's name with its numbers (subtask, producer and fetcher indices) and the job's
     * transactional id prefix taken out, so the threads of one kind sum up: all subtasks of a
     * chain, all producers of a sink.
     */
    String kind(String name) {
        return name.replace(jobProducerPrefix, "producer-<job>").replaceAll("\\d+", "#");
    }

    /** Who a thread of this name works for. */
    Owner owner(String name) {
        if (name == null) {
            return Owner.OTHER;
        }
        if (TASK.matcher(name).matches()
                || name.startsWith("Source Data Fetcher for ")
                || name.contains(jobProducerPrefix)) {
            return Owner.JOB;
        }
        if (name.contains(gateApplicationId)) {
            return Owner.GATE;
        }
        if (name.equals("output-tally")
                || name.startsWith("bench-")
                || name.equals("main")
                || name.matches("kafka-producer-network-thread \\| producer-\\d+")) {
            return Owner.BENCH; // the feed producer, the tally's consumer and this thread
        }
        if (name.startsWith("flink-")
                || name.startsWith("pekko")
                || name.contains("-pekko.")
                || name.startsWith("jobmanager")
                || name.startsWith("Checkpoint")
                || name.startsWith("mini-cluster")
                || name.startsWith("Flink-")
                || name.startsWith("AsyncOperations")
                || name.startsWith("ForkJoinPool")) {
            return Owner.FLINK_RUNTIME;
        }
        if (name.startsWith("kafka-")
                || name.startsWith("data-plane-kafka")
                || name.startsWith("broker-")
                || name.startsWith("controller-")
                || name.startsWith("quorum")
                || name.startsWith("raft")
                || name.startsWith("ExpirationReaper")
                || name.startsWith("group-coordinator")
                || name.startsWith("transaction-")
                || name.startsWith("share-")
                || name.contains("kafka")) {
            return Owner.BROKER;
        }
        return Owner.OTHER;
    }
}
