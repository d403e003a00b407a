package org.bloomstream.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.job.JobConfig;

/**
 * Every job benchmark in one run, for an otherwise idle machine: plumbing ceiling, model vs
 * pipeline, latency at 50% and 90% of the ceiling, alert latency, the streaming MIL's cost, and the
 * demo's peak memory. Prints a table and returns everything for a JSON file.
 */
public final class SuiteBench {

    /**
     * @param home repository root
     * @param workDir scratch space (broker logs, state)
     * @param plumbingCrops crops per plumbing run
     * @param latencySeconds how long each latency run produces
     * @param vitS the ViT-S/14 model for the model-vs-pipeline ratio, or null to skip it
     */
    public record Options(
            Path home, Path workDir, long plumbingCrops, double latencySeconds, Path vitS) {}

    private final Options options;
    private final PrintStream out;

    public SuiteBench(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public Map<String, Object> run() throws Exception {
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("machine", machine());
        Path work = options.workDir();

        out.println("== plumbing ceiling");
        List<PlumbingBench.Row> plumbing =
                new PlumbingBench(
                                options.home(),
                                work.resolve("plumbing"),
                                options.plumbingCrops(),
                                out)
                        .run(List.of("none", "tiny"), List.of(1, 2));
        results.put("plumbing", plumbing.stream().map(PlumbingBench.Row::toMap).toList());
        double ceiling =
                plumbing.stream()
                        .filter(r -> r.embedder().equals("tiny") && r.parallelism() == 2)
                        .mapToDouble(PlumbingBench.Row::cropsPerSecond)
                        .findFirst()
                        .orElseThrow();

        out.println("== latency (tiny fixture, parallelism 2)");
        LatencyBench latency =
                new LatencyBench(
                        options.home(), work.resolve("latency"), Duration.ofSeconds(5), out);
        List<Map<String, Object>> lat = new ArrayList<>();
        for (double load : new double[] {0.5, 0.9}) {
            lat.add(latency.run(ceiling, load, options.latencySeconds(), 1000).toMap());
        }
        lat.add(latency.run(ceiling, 0.5, options.latencySeconds(), 200).toMap());
        results.put("latency", lat);

        out.println("== alert latency");
        results.put(
                "alert_latency",
                new AlertLatencyBench(options.home(), work.resolve("alerts"), out)
                        .run(10, 120, 100, 1000));

        out.println("== model vs pipeline");
        List<Map<String, Object>> ratios = new ArrayList<>();
        ratios.add(embed(options.home().resolve(JobConfig.FIXTURE_EMBEDDER), 20, 30));
        if (options.vitS() != null) {
            ratios.add(embed(options.vitS(), 30, 40));
        } else {
            out.println(
                    "  ViT-S/14 skipped: export it with models/export.py --random-weights --arch vit_s14"
                            + " --out models/build/vit-s14-random.onnx");
        }
        results.put("model_vs_pipeline", ratios);

        out.println("== streaming MIL");
        Map<Integer, Path> mil = new TreeMap<>();
        for (int d : new int[] {384, 768, 1024, 1536}) {
            Path m = options.home().resolve("models/build/mil-random-d" + d + ".json");
            if (Files.isRegularFile(m)) {
                mil.put(d, m);
            }
        }
        results.put(
                "mil",
                new MilBench(
                                new MilBench.Options(
                                        List.of(384, 768, 1024, 1536),
                                        540,
                                        mil,
                                        0,
                                        0,
                                        384,
                                        work.resolve("mil")),
                                out)
                        .run());

        out.println("== memory");
        results.put("memory", new MemoryBench(out).run());

        printTable(results);
        return results;
    }

    private Map<String, Object> embed(Path model, double rawSeconds, double pipelineSeconds)
            throws Exception {
        Path home = options.home();
        String stem = model.getFileName().toString().replaceFirst("\\.onnx$", "");
        boolean fixture =
                model.toAbsolutePath()
                        .equals(home.resolve(JobConfig.FIXTURE_EMBEDDER).toAbsolutePath());
        Path head =
                fixture
                        ? home.resolve(JobConfig.FIXTURE_CELL_HEAD)
                        : model.resolveSibling(stem + "-linear.json");
        Path mil =
                fixture
                        ? home.resolve(JobConfig.FIXTURE_MIL)
                        : model.resolveSibling(stem + "-mil-random.json");
        int cores = Runtime.getRuntime().availableProcessors();
        return new EmbedBench(
                        new EmbedBench.Options(
                                model,
                                ExecutionConfig.cpu(cores),
                                ExecutionConfig.cpu(cores),
                                head,
                                mil,
                                home,
                                16,
                                rawSeconds,
                                pipelineSeconds,
                                1,
                                options.workDir().resolve("embed-" + stem)),
                        out)
                .run()
                .toMap();
    }

    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        m.put("java", System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    m.put("cpu", line.substring(line.indexOf(':') + 1).trim());
                    break;
                }
            }
            m.put("load_average_at_start", Files.readString(Path.of("/proc/loadavg")).trim());
        } catch (Exception e) {
            // not Linux
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    private void printTable(Map<String, Object> r) {
        out.println();
        out.println("figure                                                   value");
        for (Map<String, Object> row : (List<Map<String, Object>>) r.get("plumbing")) {
            out.printf(
                    Locale.ROOT,
                    "plumbing, %-5s embedder, parallelism %s           %8.0f crops/s%n",
                    row.get("embedder"),
                    row.get("parallelism"),
                    ((Number) row.get("crops_per_second")).doubleValue());
        }
        for (Map<String, Object> row : (List<Map<String, Object>>) r.get("latency")) {
            out.printf(
                    Locale.ROOT,
                    "latency at %3.0f%%, checkpoints %4s ms (p50/p95/p99)  %d/%d/%d ms%n",
                    ((Number) row.get("load")).doubleValue() * 100,
                    row.get("checkpoint_interval_ms"),
                    row.get("p50_ms"),
                    row.get("p95_ms"),
                    row.get("p99_ms"));
        }
        Map<String, Object> a = (Map<String, Object>) r.get("alert_latency");
        out.printf(
                "scan-finished -> report (p50/max)                        %s/%s ms%n",
                a.get("report_latency_p50_ms"), a.get("report_latency_max_ms"));
        out.printf(
                "threshold cell -> alert (p50/max)                        %s/%s ms%n",
                a.get("alert_latency_p50_ms"), a.get("alert_latency_max_ms"));
        for (Map<String, Object> row : (List<Map<String, Object>>) r.get("model_vs_pipeline")) {
            out.printf(
                    Locale.ROOT,
                    "%-28s raw ORT / pipeline  %.1f / %.1f crops/s = %.3f%n",
                    row.get("model"),
                    ((Number) row.get("raw_ort_crops_per_second")).doubleValue(),
                    ((Number) row.get("pipeline_crops_per_second")).doubleValue(),
                    ((Number) row.get("ratio")).doubleValue());
        }
        Map<String, Object> mem = (Map<String, Object>) r.get("memory");
        out.printf(
                "demo peak RSS                                            %s MB%n",
                mem.get("demo_peak_rss_mb"));
    }
}
