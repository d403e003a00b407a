package org.bloomstream.app.cli.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.bloomstream.bench.BenchJson;
import org.bloomstream.bench.GpuBench;
import org.bloomstream.job.cli.BloomstreamHome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bloomstream bench gpu}: raw ORT CUDA / TensorRT fp16, then the whole pipeline. */
@Command(
        name = "gpu",
        mixinStandardHelpOptions = true,
        description = {
            "One-shot GPU benchmark: ViT-S/14 and ViT-B/14 with random weights.",
            "",
            "Raw ONNX Runtime with CUDA (fp32) and TensorRT (fp16) at each batch size,"
                    + " then the pipeline (decode on the CPU, resize in the graph, batches"
                    + " in flight). Prints crops/s, p50/p99, busy fraction and the cosine"
                    + " of each cell against fp32; fails (exit 1) if any cosine is below"
                    + " --min-cosine.",
            "",
            "What it installs: the launcher fetches the onnxruntime_gpu jar (~445 MB,"
                    + " Maven Central, into ~/.m2 and app/target/lib-gpu) on first use."
                    + " The models are exported on first use into models/build/ with"
                    + " /usr/bin/python3 models/export.py (needs python3-torch and"
                    + " python3-onnx: apt-get install -y python3-torch python3-onnx)."
                    + " TensorRT engines are cached in --engine-cache.",
            "",
            "Needs CUDA 12, cuDNN 9 and TensorRT 10 libraries on the host.",
            "--provider cpu --tiny runs the same steps on the CPU with the test"
                    + " fixture model in seconds (what mvn verify checks)."
        })
public final class BenchGpuCommand implements Callable<Integer> {
    enum Provider {
        cuda,
        cpu
    }

    @Option(
            names = "--provider",
            defaultValue = "cuda",
            description = "cuda (CUDA fp32 and TensorRT fp16) or cpu (default: ${DEFAULT-VALUE}).")
    Provider provider;

    @Option(
            names = "--tiny",
            description =
                    "The 0.6 MB fixture ViT, batches 1 and 8, a short pipeline: a smoke test.")
    boolean tiny;

    @Option(
            names = "--model",
            paramLabel = "ONNX",
            description =
                    "Embedder to measure (repeatable; manifest beside it). Default: ViT-S/14"
                            + " and ViT-B/14 random, exported into models/build/.")
    List<Path> models = new ArrayList<>();

    @Option(
            names = "--batches",
            split = ",",
            description = "Raw batch sizes (default: 1,8,32,64,128; --tiny: 1,8).")
    List<Integer> batches;

    @Option(
            names = "--cell-seconds",
            description = "How long each raw cell runs (default: 2; --tiny: 0.2).")
    Double cellSeconds;

    @Option(
            names = "--pipeline-crops",
            description = "Crops through the pipeline per model (default: 60000; --tiny: 256).")
    Integer pipelineCrops;

    @Option(
            names = "--batch-size",
            defaultValue = "64",
            description = "The pipeline's micro-batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--in-flight",
            defaultValue = "3",
            description =
                    "The pipeline's batches in flight per subtask (default: ${DEFAULT-VALUE}).")
    int inFlight;

    @Option(
            names = "--parallelism",
            defaultValue = "2",
            description = "Model instances (sessions) in the pipeline (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
            names = "--decode-parallelism",
            description = "Decode subtasks in the pipeline (default: the number of cores).")
    Integer decodeParallelism;

    @Option(
            names = "--crop-edge",
            description = "Edge of the synthetic JPEG crops in px (default: 316; --tiny: 96).")
    Integer cropEdge;

    @Option(
            names = "--device",
            defaultValue = "0",
            description = "CUDA device (default: ${DEFAULT-VALUE}).")
    int device;

    @Option(
            names = "--engine-cache",
            paramLabel = "DIR",
            description = "TensorRT engine cache (default: .bloomstream/trt-engines in the home).")
    Path engineCache;

    @Option(
            names = "--min-cosine",
            defaultValue = "0.999",
            description = "The fp16 parity gate (default: ${DEFAULT-VALUE}).")
    double minCosine;

    @Option(
            names = "--json",
            paramLabel = "FILE",
            description = "Also write the figures as JSON here.")
    Path json;

    @Override
    public Integer call() throws Exception {
        Path home = BloomstreamHome.path();
        List<Path> use = new ArrayList<>(models);
        if (use.isEmpty()) {
            if (tiny) {
                use.add(home.resolve("models/fixtures/vit-tiny.onnx"));
            } else {
                for (String arch : List.of("vit_s14", "vit_b14")) {
                    Path p =
                            home.resolve("models/build/" + arch.replace('_', '-') + "-random.onnx");
                    if (!Files.isRegularFile(p) && !export(home, arch, p)) {
                        return 2;
                    }
                    use.add(p);
                }
            }
        }
        for (Path p : use) {
            if (!Files.isRegularFile(p)) {
                System.err.println("no such model: " + p.toAbsolutePath());
                return 2;
            }
        }
        int cores = Runtime.getRuntime().availableProcessors();
        Path cache = engineCache != null ? engineCache : home.resolve(".bloomstream/trt-engines");
        boolean gpu = provider == Provider.cuda;
        if (gpu) {
            Files.createDirectories(cache);
            System.out.println("TensorRT engines are cached in " + cache.toAbsolutePath());
        }
        GpuBench.Options options =
                new GpuBench.Options(
                        use,
                        gpu,
                        device,
                        cache,
                        batches != null
                                ? batches
                                : tiny ? List.of(1, 8) : List.of(1, 8, 32, 64, 128),
                        cellSeconds != null ? cellSeconds : tiny ? 0.2 : 2.0,
                        pipelineCrops != null ? pipelineCrops : tiny ? 256 : 60_000,
                        tiny ? Math.min(batchSize, 16) : batchSize,
                        inFlight,
                        tiny ? 1 : parallelism,
                        decodeParallelism != null ? decodeParallelism : tiny ? 1 : cores,
                        cropEdge != null ? cropEdge : tiny ? 96 : 316,
                        minCosine);
        GpuBench.Result r;
        try {
            r = new GpuBench(options, System.out).run();
        } catch (java.io.IOException e) {
            if (gpu && String.valueOf(e.getMessage()).contains("provider is not available")) {
                // the engine's hint names the job's option; this command has its own
                System.err.println("bench gpu: " + e.getMessage());
                System.err.println(
                        "bench gpu: no usable GPU provider here; `bench gpu --provider cpu`"
                                + " runs the same benchmark on the CPU.");
                return 2;
            }
            throw e;
        }
        r.print(System.out);
        if (json != null) {
            BenchJson.write(json, r.toMap());
        }
        List<String> failures = r.failures();
        if (!failures.isEmpty()) {
            System.err.println("\nFAILED: fp16 parity gate (cosine >= " + minCosine + "):");
            failures.forEach(f -> System.err.println("  " + f));
            return 1;
        }
        System.out.println("\nparity gate passed: every cosine >= " + minCosine);
        return 0;
    }

    /** Exports a random-weight model with the offline Python toolchain; false if it cannot. */
    private static boolean export(Path home, String arch, Path out) throws Exception {
        Files.createDirectories(out.getParent());
        List<String> cmd =
                List.of(
                        "/usr/bin/python3",
                        home.resolve("models/export.py").toString(),
                        "--random-weights",
                        "--arch",
                        arch,
                        "--seed",
                        "0",
                        "--out",
                        out.toString());
        System.out.println("exporting " + arch + " with random weights: " + String.join(" ", cmd));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            System.err.println(log);
            System.err.println(
                    "could not export "
                            + arch
                            + "; install the toolchain (apt-get install -y python3-torch"
                            + " python3-onnx) or pass --model");
            return false;
        }
        return true;
    }
}
