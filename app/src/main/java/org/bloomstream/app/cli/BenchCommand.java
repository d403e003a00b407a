package org.bloomstream.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bloomstream.bench.EmbedBench;
import org.bloomstream.bench.KnnBench;
import org.bloomstream.bench.MilBench;
import org.bloomstream.bench.PlumbingBenchRunner;
import org.bloomstream.bench.SoakBench;
import org.bloomstream.bench.SuiteBench;
import org.bloomstream.job.JobConfig;
import org.bloomstream.job.cli.EmbedderOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bloomstream bench}: benchmarks for an otherwise idle machine. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Benchmarks that print their figures; run them on an otherwise idle machine.",
        subcommands = {
            BenchCommand.All.class,
            BenchCommand.Plumbing.class,
            BenchCommand.Embed.class,
            BenchCommand.Knn.class,
            BenchCommand.Mil.class,
            BenchCommand.Soak.class
        })
final class BenchCommand implements Runnable {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Every bench's figures, as indented JSON. */
    static void writeJson(Path file, Object figures) throws java.io.IOException {
        JSON.writeValue(file.toFile(), figures);
    }

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Raw ONNX Runtime vs the whole pipeline on the same model. */
    @Command(
            name = "embed",
            mixinStandardHelpOptions = true,
            description = {
                "Measures model throughput: a bare ONNX Runtime session vs the whole pipeline.",
                "",
                "Same model, batch size and CPU threads both ways; prints crops/s for "
                        + "each and their ratio. For ViT-S/14 with random weights, export it "
                        + "first:",
                "  /usr/bin/python3 models/export.py --random-weights --arch vit_s14 "
                        + "--out models/build/vit-s14-random.onnx",
                "A head for the embedder is fitted on synthetic cells if missing, and "
                        + "an untrained MIL model of the right shape is exported with "
                        + "models/train_mil.py."
            })
    static final class Embed implements Callable<Integer> {
        @Mixin EmbedderOptions embedder = new EmbedderOptions();

        @Option(
                names = "--batch-size",
                defaultValue = "16",
                description = "Crops per model call (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(
                names = "--parallelism",
                defaultValue = "1",
                description =
                        "Model instances in the pipeline; each gets cores/parallelism threads, the"
                                + " raw session all of them (default: ${DEFAULT-VALUE}).")
        int parallelism;

        @Option(
                names = "--raw-seconds",
                defaultValue = "20",
                description = "How long the raw session runs (default: ${DEFAULT-VALUE}).")
        double rawSeconds;

        @Option(
                names = "--pipeline-seconds",
                defaultValue = "40",
                description =
                        "Size the pipeline run to last about this long at the raw rate"
                                + " (default: ${DEFAULT-VALUE}).")
        double pipelineSeconds;

        @Option(
                names = "--json",
                paramLabel = "FILE",
                description = "Also write the figures as JSON here.")
        Path json;

        @Override
        public Integer call() throws Exception {
            Path model = embedder.modelPath().toAbsolutePath();
            if (!Files.isRegularFile(model)) {
                System.err.println("no such model: " + model + " (see bench embed --help)");
                return 2;
            }
            Path home = BloomstreamCli.home();
            Path head;
            Path mil;
            if (model.equals(home.resolve(JobConfig.FIXTURE_EMBEDDER).toAbsolutePath())) {
                head = home.resolve(JobConfig.FIXTURE_CELL_HEAD);
                mil = home.resolve(JobConfig.FIXTURE_MIL);
            } else {
                String stem = model.getFileName().toString().replaceFirst("\\.onnx$", "");
                head = model.resolveSibling(stem + "-linear.json");
                mil = model.resolveSibling(stem + "-mil-random.json");
            }
            int cores = Runtime.getRuntime().availableProcessors();
            int perInstance = Math.max(1, cores / parallelism);
            EmbedBench.Result r =
                    new EmbedBench(
                                    new EmbedBench.Options(
                                            model,
                                            embedder.execution(1, batchSize)
                                                    .withThreads(perInstance * parallelism),
                                            embedder.execution(1, batchSize)
                                                    .withThreads(perInstance),
                                            head,
                                            mil,
                                            home,
                                            batchSize,
                                            rawSeconds,
                                            pipelineSeconds,
                                            parallelism,
                                            Files.createTempDirectory("bloomstream-bench-")),
                                    System.out)
                            .run();
            System.out.printf(
                    Locale.ROOT,
                    "%n%-28s %8s %6s %8s %14s %14s %7s%n",
                    "model",
                    "batch",
                    "dim",
                    "threads",
                    "raw ORT/s",
                    "pipeline/s",
                    "ratio");
            System.out.printf(
                    Locale.ROOT,
                    "%-28s %8d %6d %8d %14.1f %14.1f %7.3f%n",
                    r.modelId(),
                    r.batchSize(),
                    r.dim(),
                    r.threads(),
                    r.rawCropsPerSecond(),
                    r.pipelineCropsPerSecond(),
                    r.ratio());
            if (json != null) {
                writeJson(json, r.toMap());
            }
            return 0;
        }
    }

    /** The streaming MIL's cost per cell and state per specimen. */
    @Command(
            name = "mil",
            mixinStandardHelpOptions = true,
            description = {
                "Measures the streaming MIL's cost: update ns per cell, state bytes per specimen.",
                "",
                "For D = 384/768/1024/1536 and C = 5: the keyed-state update per cell "
                        + "(exact pooling, top-k, differential), the serialised state of a "
                        + "540-cell specimen, and the ONNX Runtime cost of the instance part and "
                        + "the bag head (untrained MIL graphs of each width, exported once with "
                        + "models/train_mil.py into models/build/). With --rocksdb-specimens N, "
                        + "also N open specimens on the RocksDB state backend; run it with a "
                        + "bounded heap, e.g. BLOOMSTREAM_JAVA_OPTS=-Xmx1g."
            })
    static final class Mil implements Callable<Integer> {
        @Option(
                names = "--dims",
                split = ",",
                defaultValue = "384,768,1024,1536",
                description = "Embedding widths (default: ${DEFAULT-VALUE}).")
        List<Integer> dims;

        @Option(
                names = "--no-ort",
                description = "Skip the ONNX Runtime columns (no Python export needed).")
        boolean noOrt;

        @Option(
                names = "--rocksdb-specimens",
                defaultValue = "0",
                description =
                        "Open this many specimens on RocksDB at once (100000 in the README's"
                                + " figures; default: ${DEFAULT-VALUE}, skipped).")
        int rocksSpecimens;

        @Option(
                names = "--rocksdb-cells",
                defaultValue = "3",
                description = "Cells per specimen in the RocksDB run (default: ${DEFAULT-VALUE}).")
        int rocksCells;

        @Option(
                names = "--rocksdb-dim",
                defaultValue = "384",
                description = "Embedding width in the RocksDB run (default: ${DEFAULT-VALUE}).")
        int rocksDim;

        @Option(
                names = "--json",
                paramLabel = "FILE",
                description = "Also write the figures as JSON here.")
        Path json;

        @Override
        public Integer call() throws Exception {
            Path home = BloomstreamCli.home();
            Map<Integer, Path> models = new java.util.TreeMap<>();
            if (!noOrt) {
                for (int d : dims) {
                    Path stem = home.resolve("models/build/mil-random-d" + d);
                    Path manifest = stem.resolveSibling(stem.getFileName() + ".json");
                    if (!Files.isRegularFile(manifest)) {
                        Process p =
                                new ProcessBuilder(
                                                "/usr/bin/python3",
                                                home.resolve("models/train_mil.py").toString(),
                                                "--random-weights",
                                                "--dim",
                                                String.valueOf(d),
                                                "--embedding-model-id",
                                                "bench-d" + d,
                                                "--classes",
                                                "a,b,c,d,control",
                                                "--out",
                                                stem.toString())
                                        .inheritIO()
                                        .start();
                        if (p.waitFor() != 0) {
                            System.err.println(
                                    "cannot export MIL graphs (Debian's python3-torch and python3-onnx); use --no-ort");
                            return 2;
                        }
                    }
                    models.put(d, manifest);
                }
            }
            Map<String, Object> r =
                    new MilBench(
                                    new MilBench.Options(
                                            dims,
                                            540,
                                            models,
                                            rocksSpecimens,
                                            rocksCells,
                                            rocksDim,
                                            Files.createTempDirectory("bloomstream-milbench-")),
                                    System.out)
                            .run();
            if (json != null) {
                writeJson(json, r);
            }
            return 0;
        }
    }

    /** kNN typing against a large bank: queries/s per micro-batch size. */
    @Command(
            name = "knn",
            mixinStandardHelpOptions = true,
            description = {
                "Measures kNN typing throughput against a large reference bank (default"
                        + " 100k x 384, the size of a lab's DinoBloom-S bank), through the"
                        + " serving path: the ONNX MatMul + TopK search the pipeline uses, and"
                        + " the plain-Java search for scale.",
                "",
                "Prints queries/s per micro-batch size and how much of the model stage "
                        + "the kNN would take next to an embedder running at "
                        + "--model-crops-per-second."
            })
    static final class Knn implements Callable<Integer> {
        @Option(
                names = "--bank",
                defaultValue = "100000",
                description = "Reference cells in the bank (default: ${DEFAULT-VALUE}).")
        int bank;

        @Option(
                names = "--dim",
                defaultValue = "384",
                description = "Embedding width (default: ${DEFAULT-VALUE}, DinoBloom-S).")
        int dim;

        @Option(
                names = "--k",
                defaultValue = "20",
                description = "Neighbours (default: ${DEFAULT-VALUE}).")
        int k;

        @Option(
                names = "--batch-sizes",
                split = ",",
                defaultValue = "1,16,64,256",
                description = "Micro-batch sizes to measure (default: ${DEFAULT-VALUE}).")
        List<Integer> batches;

        @Option(
                names = "--engines",
                split = ",",
                defaultValue = "onnx,java",
                description = "onnx and/or java (default: ${DEFAULT-VALUE}).")
        List<String> engines;

        @Option(
                names = "--seconds",
                defaultValue = "5",
                description = "Measuring time per configuration (default: ${DEFAULT-VALUE}).")
        double seconds;

        @Option(
                names = "--threads",
                defaultValue = "0",
                description = "ONNX Runtime threads, 0 = all cores (default: ${DEFAULT-VALUE}).")
        int threads;

        @Option(
                names = "--model-crops-per-second",
                defaultValue = "15",
                description =
                        "Embedder rate to compare with: ViT-S/14 on 2 CPU cores does about 15"
                                + " (bench embed measures yours) (default: ${DEFAULT-VALUE}).")
        double modelRate;

        @Option(
                names = "--json",
                paramLabel = "FILE",
                description = "Also write the figures as JSON here.")
        Path json;

        @Override
        public Integer call() throws Exception {
            KnnBench.Result r =
                    new KnnBench(
                                    new KnnBench.Options(
                                            bank, dim, k, batches, seconds, threads, engines,
                                            modelRate),
                                    System.out)
                            .run();
            System.out.printf(
                    Locale.ROOT,
                    "%n%-6s %6s %14s %12s %26s%n",
                    "engine",
                    "batch",
                    "queries/s",
                    "ms/batch",
                    "share of model stage (*)");
            for (KnnBench.Row row : r.rows()) {
                System.out.printf(
                        Locale.ROOT,
                        "%-6s %6d %14.1f %12.2f %25.1f%%%n",
                        row.engine(),
                        row.batch(),
                        row.queriesPerSecond(),
                        row.msPerBatch(),
                        100 * row.shareOfModelStage());
            }
            System.out.printf(
                    Locale.ROOT,
                    "(*) kNN time per cell / (kNN + model time per cell), model at %.0f crops/s%n",
                    modelRate);
            if (json != null) {
                writeJson(json, r.toMap());
            }
            return 0;
        }
    }

    /** The whole suite, as BENCHMARKS.md reports it. */
    @Command(
            name = "all",
            mixinStandardHelpOptions = true,
            description = {
                "Runs every job benchmark: plumbing ceiling, latency, alert latency, model vs"
                        + " pipeline, MIL cost and the demo's memory.",
                "",
                "Prints a table and writes JSON. Takes about 10 minutes on 2 cores. Run it on"
                        + " an otherwise idle machine; the machine and its load average at the"
                        + " start are recorded in the JSON."
            })
    static final class All implements Callable<Integer> {
        @Option(
                names = "--plumbing-crops",
                defaultValue = "12000",
                description = "Crops per plumbing run (default: ${DEFAULT-VALUE}).")
        long plumbingCrops;

        @Option(
                names = "--latency-seconds",
                defaultValue = "30",
                description = "How long each latency run produces (default: ${DEFAULT-VALUE}).")
        double latencySeconds;

        @Option(
                names = "--vit-s",
                paramLabel = "ONNX",
                defaultValue = "models/build/vit-s14-random.onnx",
                description =
                        "ViT-S/14 for the model-vs-pipeline ratio; skipped when the file is"
                                + " missing (default: ${DEFAULT-VALUE}, relative to the repository).")
        Path vitS;

        @Option(
                names = "--json",
                paramLabel = "FILE",
                defaultValue = "bench-results.json",
                description = "Where to write the figures (default: ${DEFAULT-VALUE}).")
        Path json;

        @Override
        public Integer call() throws Exception {
            Path home = BloomstreamCli.home();
            Path vit = vitS.isAbsolute() ? vitS : home.resolve(vitS);
            Map<String, Object> r =
                    new SuiteBench(
                                    new SuiteBench.Options(
                                            home,
                                            Files.createTempDirectory("bloomstream-suite-"),
                                            plumbingCrops,
                                            latencySeconds,
                                            Files.isRegularFile(vit) ? vit : null),
                                    System.out)
                            .run();
            writeJson(json, r);
            System.out.println("wrote " + json);
            return 0;
        }
    }

    /** The plumbing ceiling alone (also the profiling target). */
    @Command(
            name = "plumbing",
            mixinStandardHelpOptions = true,
            description = {
                "Measures crops/s through Kafka, the gate, the Flink job and the classified topic.",
                "",
                "20 KB JPEG crops; with no model (--embedders none) and the tiny "
                        + "fixture, at the given parallelisms."
            })
    static final class Plumbing implements Callable<Integer> {
        @Option(
                names = "--crops",
                defaultValue = "12000",
                description = "Crops per run (default: ${DEFAULT-VALUE}).")
        long crops;

        @Option(
                names = "--embedders",
                split = ",",
                defaultValue = "none,tiny",
                description = "none and/or tiny (default: ${DEFAULT-VALUE}).")
        List<String> embedders;

        @Option(
                names = "--parallelism",
                split = ",",
                defaultValue = "1,2",
                description = "Parallelisms to run (default: ${DEFAULT-VALUE}).")
        List<Integer> parallelisms;

        @Override
        public Integer call() throws Exception {
            new PlumbingBenchRunner().run(crops, embedders, parallelisms);
            return 0;
        }
    }

    /** The soak: long, steady load; heap, state and lag must stay flat. */
    @Command(
            name = "soak",
            mixinStandardHelpOptions = true,
            description = {
                "Feeds the embedded pipeline (tiny fixture, parallelism 2) at a steady "
                        + "rate for a long time and samples live heap, checkpointed state size "
                        + "and consumer lag.",
                "",
                "Prints every sample and a summary; exits 1 when any of them keeps growing.",
                "",
                "Without --rate it first measures the plumbing ceiling (tiny, "
                        + "parallelism 2) and soaks at --load of it. On demand only: not part of "
                        + "mvn verify."
            })
    static final class Soak implements Callable<Integer> {
        @Option(
                names = "--minutes",
                defaultValue = "30",
                description = "How long to feed (default: ${DEFAULT-VALUE}).")
        double minutes;

        @Option(
                names = "--rate",
                paramLabel = "CROPS_PER_S",
                description = "Crops/s to feed; default: --load times the measured ceiling.")
        Double rate;

        @Option(
                names = "--ceiling-crops",
                defaultValue = "12000",
                description =
                        "Crops for the ceiling measurement when no --rate is given; the same as"
                                + " bench plumbing, since a shorter run is mostly JIT warm-up"
                                + " (default: ${DEFAULT-VALUE}).")
        long ceilingCrops;

        @Option(
                names = "--load",
                defaultValue = "0.8",
                description = "Fraction of the measured ceiling (default: ${DEFAULT-VALUE}).")
        double load;

        @Option(
                names = "--sample-seconds",
                defaultValue = "30",
                description = "Seconds between samples (default: ${DEFAULT-VALUE}).")
        long sampleSeconds;

        @Option(
                names = "--cells-per-specimen",
                defaultValue = "500",
                description = "Cells per specimen (default: ${DEFAULT-VALUE}).")
        int cellsPerSpecimen;

        @Option(
                names = "--json",
                paramLabel = "FILE",
                defaultValue = "soak-results.json",
                description = "Where to write the summary (default: ${DEFAULT-VALUE}).")
        Path json;

        @Override
        public Integer call() throws Exception {
            Path home = BloomstreamCli.home();
            Path work = Files.createTempDirectory("bloomstream-soak-");
            double r = rate != null ? rate : 0;
            if (rate == null) {
                double max =
                        SoakBench.measureMaxRate(
                                home, work.resolve("ceiling"), ceilingCrops, System.out);
                r = max * load;
                System.out.printf(Locale.ROOT, "ceiling %.0f crops/s; soaking at %.0f%n", max, r);
            }
            SoakBench.Result result =
                    new SoakBench(
                                    new SoakBench.Options(
                                            home,
                                            work.resolve("soak"),
                                            r,
                                            java.time.Duration.ofSeconds(Math.round(minutes * 60)),
                                            java.time.Duration.ofSeconds(sampleSeconds),
                                            cellsPerSpecimen),
                                    System.out)
                            .run();
            writeJson(json, result.toMap());
            System.out.println("wrote " + json);
            return result.flat() ? 0 : 1;
        }
    }
}
