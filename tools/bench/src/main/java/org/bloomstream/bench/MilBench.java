package org.bloomstream.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.legacy.DiscardingSink;
import org.bloomstream.aggregation.SpecimenMilFunction;
import org.bloomstream.aggregation.SpecimenSignal;
import org.bloomstream.aggregation.SpecimenState;
import org.bloomstream.aggregation.alert.AlertPolicy;
import org.bloomstream.aggregation.mil.MilModel;
import org.bloomstream.aggregation.mil.OnnxMilModel;
import org.bloomstream.schemas.avro.CellTimings;
import org.bloomstream.schemas.avro.ClassifiedCell;

/**
 * What the streaming MIL costs: per-cell update time and state bytes per specimen for DinoBloom
 * widths (D = 384, 768, 1024, 1536; C = 5), the ONNX Runtime calls of the instance part and the bag
 * head, and optionally many open specimens on the RocksDB state backend with a bounded heap.
 */
public final class MilBench {
    static final int CLASSES = 5;

    /**
     * @param dims embedding widths
     * @param cellsPerSpecimen cells in a specimen when its state size is measured (SCEMILA: 540)
     * @param milModels MIL manifests per width, where available (ORT call costs); may be empty
     * @param rocksSpecimens open specimens on RocksDB (0 to skip)
     * @param rocksCells cells per specimen in the RocksDB run
     * @param rocksDim embedding width in the RocksDB run
     * @param workDir RocksDB files
     */
    public record Options(
            List<Integer> dims,
            int cellsPerSpecimen,
            Map<Integer, Path> milModels,
            int rocksSpecimens,
            int rocksCells,
            int rocksDim,
            Path workDir) {}

    private final Options options;
    private final PrintStream out;

    public MilBench(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public Map<String, Object> run() throws Exception {
        Map<String, Object> results = new LinkedHashMap<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        out.printf(
                "%6s %14s %14s %14s %16s%n",
                "D", "update ns/cell", "instance us", "head us", "state bytes");
        for (int d : options.dims()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("dim", d);
            row.put("classes", CLASSES);
            double updateNs = updateNanos(d);
            long bytes = stateBytes(d);
            row.put("update_ns_per_cell", Math.round(updateNs));
            row.put("state_bytes_per_specimen", bytes);
            String inst = "-";
            String head = "-";
            Path mil = options.milModels().get(d);
            if (mil != null) {
                double[] us = ortMicros(mil, d);
                row.put("instance_ort_us_per_cell", round(us[0]));
                row.put("head_ort_us_per_update", round(us[1]));
                inst = String.format(Locale.ROOT, "%.1f", us[0]);
                head = String.format(Locale.ROOT, "%.1f", us[1]);
            }
            out.printf(Locale.ROOT, "%6d %14.0f %14s %14s %16d%n", d, updateNs, inst, head, bytes);
            rows.add(row);
        }
        results.put("widths", rows);
        if (options.rocksSpecimens() > 0) {
            results.put("rocksdb", rocksDb());
        }
        return results;
    }

    /** The keyed-state update of one cell: exact pooling, top-k, differential. */
    double updateNanos(int d) {
        int specimens = 64;
        SpecimenState[] states = new SpecimenState[specimens];
        for (int i = 0; i < specimens; i++) {
            states[i] = new SpecimenState("S" + i, CLASSES, d, 5);
        }
        SplittableRandom r = new SplittableRandom(1);
        int distinct = 512;
        float[][] e = new float[distinct][d];
        float[][] a = new float[distinct][CLASSES];
        for (int i = 0; i < distinct; i++) {
            for (int j = 0; j < d; j++) {
                e[i][j] = (float) r.nextGaussian();
            }
            for (int c = 0; c < CLASSES; c++) {
                a[i][c] = (float) (r.nextGaussian() * 3);
            }
        }
        String[] types = {"blast", "monocyte", "neutrophil", "lymphocyte"};
        long n = 0;
        long start = 0;
        int warmup = 50_000;
        int measured = 200_000;
        for (int i = 0; i < warmup + measured; i++) {
            if (i == warmup) {
                start = System.nanoTime();
            }
            SpecimenState s = states[i % specimens];
            int k = i % distinct;
            s.pool.add(a[k], e[k]);
            s.offerAttended("c" + i, a[k]);
            s.countType(types[i & 3]);
            n++;
        }
        return (System.nanoTime() - start) / (double) measured;
    }

    /** Serialised size of one specimen's state after a full bag, with Flink's own serializer. */
    long stateBytes(int d) throws Exception {
        SpecimenState s = new SpecimenState("SPC-000001", CLASSES, d, 5);
        SplittableRandom r = new SplittableRandom(2);
        float[] e = new float[d];
        float[] a = new float[CLASSES];
        String[] types = {
            "blast",
            "monocyte",
            "neutrophil",
            "lymphocyte",
            "eosinophil",
            "basophil",
            "promyelocyte"
        };
        for (int i = 0; i < options.cellsPerSpecimen(); i++) {
            for (int j = 0; j < d; j++) {
                e[j] = (float) r.nextGaussian();
            }
            for (int c = 0; c < CLASSES; c++) {
                a[c] = (float) r.nextGaussian();
            }
            s.pool.add(a, e);
            s.offerAttended("SPC-000001-c" + String.format("%05d", i), a);
            s.countType(types[i % types.length]);
        }
        s.scanId = "SPC-000001-scan1";
        s.addAlert("SPC-000001/NPM1/1");
        TypeSerializer<SpecimenState> ser =
                TypeInformation.of(SpecimenState.class)
                        .createSerializer(new SerializerConfigImpl());
        DataOutputSerializer buf = new DataOutputSerializer(64 * 1024);
        ser.serialize(s, buf);
        return buf.length();
    }

    /** Microseconds per instance call (one cell) and per bag-head call (one update). */
    double[] ortMicros(Path manifest, int d) throws Exception {
        MilModel m = OnnxMilModel.load(manifest);
        SplittableRandom r = new SplittableRandom(3);
        float[] e = new float[d];
        for (int j = 0; j < d; j++) {
            e[j] = (float) r.nextGaussian();
        }
        double[][] pooled = new double[CLASSES][d];
        try (MilModel.Runtime rt = m.open()) {
            for (int i = 0; i < 500; i++) {
                rt.attention(e);
                rt.logits(pooled);
            }
            int n = 5000;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                rt.attention(e);
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                rt.logits(pooled);
            }
            long t2 = System.nanoTime();
            return new double[] {(t1 - t0) / 1e3 / n, (t2 - t1) / 1e3 / n};
        }
    }

    /**
     * Many open specimens at once on RocksDB: a bounded source of cells round-robin over the
     * specimens, keyed into the real {@link SpecimenMilFunction} (with a pure-Java MIL of the same
     * shape, so the state and its churn are real), RocksDB timers, and a sampler that records the
     * JVM heap and the RocksDB directory size while it runs.
     */
    Map<String, Object> rocksDb() throws Exception {
        int specimens = options.rocksSpecimens();
        int cells = options.rocksCells();
        int d = options.rocksDim();
        Path local = options.workDir().resolve("rocksdb");
        Files.createDirectories(local);
        Configuration conf = new Configuration();
        conf.setString("state.backend.type", "rocksdb");
        conf.setString("state.backend.rocksdb.localdir", local.toString());
        conf.setString("state.backend.rocksdb.timer-service.factory", "ROCKSDB");
        conf.setString("taskmanager.memory.managed.size", "128m");
        conf.setString("rest.bind-address", "127.0.0.1");
        conf.setString("taskmanager.host", "127.0.0.1");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, conf);
        long total = (long) specimens * cells;
        AlertPolicy policy =
                new AlertPolicy(
                        Integer.MAX_VALUE,
                        0.99,
                        Map.of(),
                        1,
                        Duration.ofHours(1),
                        Duration.ofHours(2),
                        5);
        DataStream<ClassifiedCell> cellStream =
                env.fromSequence(0, total - 1)
                        .map(new SyntheticCell(specimens, d))
                        .returns(TypeInformation.of(ClassifiedCell.class));
        DataStream<SpecimenSignal> signals =
                env.fromSequence(0, 0)
                        .filter(x -> false)
                        .map(x -> new SpecimenSignal())
                        .returns(TypeInformation.of(SpecimenSignal.class));
        cellStream
                .keyBy(c -> c.getSpecimenId(), Types.STRING)
                .connect(signals.keyBy(s -> s.specimenId, Types.STRING))
                .process(new SpecimenMilFunction(new RandomMil(d), policy))
                .addSink(new DiscardingSink<>());

        AtomicLong maxHeap = new AtomicLong();
        AtomicLong maxDisk = new AtomicLong();
        Thread sampler =
                new Thread(
                        () -> {
                            Runtime rt = Runtime.getRuntime();
                            while (!Thread.currentThread().isInterrupted()) {
                                maxHeap.accumulateAndGet(
                                        rt.totalMemory() - rt.freeMemory(), Math::max);
                                maxDisk.accumulateAndGet(du(local), Math::max);
                                try {
                                    Thread.sleep(200);
                                } catch (InterruptedException e) {
                                    return;
                                }
                            }
                        });
        sampler.setDaemon(true);
        out.printf(
                "RocksDB: %d specimens x %d cells, D=%d, heap limit %d MB ...%n",
                specimens, cells, d, Runtime.getRuntime().maxMemory() >> 20);
        long t0 = System.nanoTime();
        sampler.start();
        env.execute("mil-rocksdb-bench");
        sampler.interrupt();
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("specimens", specimens);
        r.put("cells", total);
        r.put("dim", d);
        r.put("seconds", round(secs));
        r.put("cells_per_second", Math.round(total / secs));
        r.put("max_heap_mb", maxHeap.get() >> 20);
        r.put("heap_limit_mb", Runtime.getRuntime().maxMemory() >> 20);
        r.put("max_rocksdb_disk_mb", maxDisk.get() >> 20);
        out.printf(
                Locale.ROOT,
                "RocksDB: %.1f s, %d cells/s, peak heap %d MB of %d MB, peak RocksDB files %d MB%n",
                secs,
                total / Math.max(1, (long) secs),
                maxHeap.get() >> 20,
                Runtime.getRuntime().maxMemory() >> 20,
                maxDisk.get() >> 20);
        return r;
    }

    static long du(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        } catch (Exception e) {
            return 0;
        }
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** Cell i goes to specimen i % n: every specimen stays open for the whole run. */
    static final class SyntheticCell
            implements org.apache.flink.api.common.functions.MapFunction<Long, ClassifiedCell> {
        private static final long serialVersionUID = 1L;
        private final int specimens;
        private final int d;

        SyntheticCell(int specimens, int d) {
            this.specimens = specimens;
            this.d = d;
        }

        @Override
        public ClassifiedCell map(Long i) {
            SplittableRandom r = new SplittableRandom(i);
            List<Float> e = new ArrayList<>(d);
            for (int j = 0; j < d; j++) {
                e.add((float) r.nextGaussian());
            }
            Instant t = Instant.ofEpochMilli(i);
            String specimen = String.format("BENCH-%07d", i % specimens);
            return ClassifiedCell.newBuilder()
                    .setCellId(specimen + "-c" + i / specimens)
                    .setSpecimenId(specimen)
                    .setScanId(specimen + "-scan")
                    .setScannerId("bench")
                    .setCaptureTime(t)
                    .setCellType("blast")
                    .setTypeConfidence(1f)
                    .setTypeProbabilities(List.of())
                    .setEmbeddingModelId("bench")
                    .setHeadModelId("bench")
                    .setEmbedding(e)
                    .setTimings(new CellTimings(t, 0, 0, 0, 1, t))
                    .build();
        }
    }

    /** A MIL of the right shape in plain Java: the RocksDB run measures state, not ORT. */
    static final class RandomMil implements MilModel {
        private static final long serialVersionUID = 1L;
        private final int d;

        RandomMil(int d) {
            this.d = d;
        }

        @Override
        public String modelId() {
            return "mil-bench";
        }

        @Override
        public String embeddingModelId() {
            return "bench";
        }

        @Override
        public List<String> classes() {
            return List.of("a", "b", "c", "d", "control");
        }

        @Override
        public String controlClass() {
            return "control";
        }

        @Override
        public int embeddingDim() {
            return d;
        }

        @Override
        public Runtime open() {
            return new Runtime() {
                @Override
                public float[] attention(float[] e) {
                    float[] a = new float[CLASSES];
                    for (int c = 0; c < CLASSES; c++) {
                        a[c] = e[c % e.length];
                    }
                    return a;
                }

                @Override
                public double[] logits(double[][] pooled) {
                    double[] l = new double[CLASSES];
                    for (int c = 0; c < CLASSES; c++) {
                        l[c] = pooled[c][0];
                    }
                    return l;
                }

                @Override
                public void close() {}
            };
        }
    }
}
