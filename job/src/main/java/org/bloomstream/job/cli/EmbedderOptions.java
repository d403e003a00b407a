package org.bloomstream.job.cli;

import java.nio.file.Path;
import java.util.List;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.model.ExecutionConfig.Provider;
import org.bloomstream.job.JobConfig;
import picocli.CommandLine.Option;

/** Which embedder and where it runs; shared by every command that embeds. */
public final class EmbedderOptions {
    @Option(
            names = "--model",
            paramLabel = "ONNX",
            description =
                    "Embedder ONNX file; its manifest <name>.json must sit next to it"
                            + " (default: the fixture ViT, models/fixtures/vit-tiny.onnx).")
    Path model;

    @Option(
            names = "--provider",
            defaultValue = "cpu",
            description =
                    "Execution provider: cpu, cuda or tensorrt. GPU providers need the"
                            + " onnxruntime_gpu jar (build with -Pgpu) and CUDA 12 + cuDNN 9"
                            + " (+ TensorRT 10) on the host. 'none' skips the model (cheap"
                            + " stand-in embeddings) to benchmark the plumbing; its types and"
                            + " calls are meaningless (default: ${DEFAULT-VALUE}).")
    String provider;

    @Option(
            names = "--provider-fallback",
            defaultValue = "fail",
            description =
                    "When the provider is not available: 'fail' stops with the reason, 'cpu'"
                            + " logs a warning and runs on CPU (default: ${DEFAULT-VALUE}).")
    String fallback;

    @Option(
            names = "--device-id",
            defaultValue = "0",
            description = "CUDA device for cuda and tensorrt (default: ${DEFAULT-VALUE}).")
    int deviceId;

    @Option(
            names = "--threads",
            defaultValue = "0",
            description =
                    "ONNX Runtime CPU threads per model instance; 0 = available cores divided by"
                            + " the number of instances (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--trt-fp16", description = "TensorRT: build fp16 engines (default: fp32).")
    boolean trtFp16;

    @Option(
            names = "--trt-cache-dir",
            paramLabel = "DIR",
            description =
                    "TensorRT: cache built engines here, so restarts skip the minutes-long build"
                            + " (default: no cache).")
    String trtCacheDir;

    @Option(
            names = "--trt-profile",
            paramLabel = "MIN,OPT,MAX",
            split = ",",
            description =
                    "TensorRT: batch sizes of the optimisation profile (default: 1, the batch"
                            + " size, 4 x the batch size).")
    List<Integer> trtProfile;

    public Path modelPath() {
        return model != null ? model : BloomstreamHome.path().resolve(JobConfig.FIXTURE_EMBEDDER);
    }

    /** The execution settings for {@code instances} model instances sharing this machine. */
    public ExecutionConfig execution(int instances, int batchSize) {
        int t =
                threads > 0
                        ? threads
                        : Math.max(1, Runtime.getRuntime().availableProcessors() / instances);
        boolean fallbackToCpu;
        switch (fallback.toLowerCase(java.util.Locale.ROOT)) {
            case "cpu" -> fallbackToCpu = true;
            case "fail" -> fallbackToCpu = false;
            default ->
                    throw new IllegalArgumentException(
                            "--provider-fallback must be 'fail' or 'cpu', was '" + fallback + "'");
        }
        Provider p;
        try {
            p = Provider.valueOf(provider.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "--provider must be cpu, cuda, tensorrt or none, was '" + provider + "'");
        }
        int min = 1;
        int opt = batchSize;
        int max = 4 * batchSize;
        if (trtProfile != null) {
            if (trtProfile.size() != 3) {
                throw new IllegalArgumentException("--trt-profile takes MIN,OPT,MAX");
            }
            min = trtProfile.get(0);
            opt = trtProfile.get(1);
            max = trtProfile.get(2);
        }
        return new ExecutionConfig(
                p, t, deviceId, trtFp16, trtCacheDir, min, opt, max, fallbackToCpu);
    }
}
