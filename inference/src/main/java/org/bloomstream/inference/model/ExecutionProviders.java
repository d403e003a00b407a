package org.bloomstream.inference.model;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtTensorRTProviderOptions;
import java.io.IOException;
import java.util.EnumSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers the configured execution provider on ONNX Runtime session options, or falls back to CPU
 * (or fails) when the runtime cannot provide it.
 *
 * <p>The default {@code onnxruntime} jar has only the CPU provider; CUDA and TensorRT need the
 * {@code onnxruntime_gpu} jar and a host with CUDA 12, cuDNN 9 (and TensorRT 10). The runtime
 * reports what it was built with, which is checked first; registering a provider whose libraries
 * are missing on the host still fails, and is handled the same way.
 *
 * <p>TensorRT: ORT's Java binding loads the CUDA provider library only in {@code addCUDA}, and
 * {@code addTensorrt} fails without it (microsoft/onnxruntime#26493); but whichever provider is
 * registered first takes the graph, so {@code addCUDA} then {@code addTensorrt} would quietly run
 * on CUDA. Hence: a throwaway {@code addCUDA} to load the library, then TensorRT first and CUDA
 * second as the fallback for nodes TensorRT does not take. Not yet verified on a GPU host here
 * (none was available to this project's build machines); docs/07-performance.md says so until it
 * is.
 */
public final class ExecutionProviders {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutionProviders.class);

    private ExecutionProviders() {}

    /**
     * The process's one ONNX Runtime environment, for sessions opened without DJL (the kNN search).
     * DJL, which serves the embedder, creates the environment with its threading options and fails
     * to start if anything else created it first; in a task manager the cell-type operator may open
     * before the embedder (Flink opens a chain from its tail). So DJL's engine is started first,
     * and the environment it made is returned. {@code OnnxMilModel} in the aggregation module does
     * the same (it does not depend on this module).
     *
     * <p>It is started by {@link OrtEngineStart}: the environment is JVM-wide, and started from a
     * Flink task it would keep the job's class loader for good (issue 17).
     */
    public static OrtEnvironment environment() {
        OrtEngineStart.ensureStarted();
        return OrtEnvironment.getEnvironment();
    }

    /** Adds the provider to {@code options}; returns the name of what will actually run. */
    static String configure(
            OrtSession.SessionOptions options, ExecutionConfig exec, EmbedderManifest manifest)
            throws IOException {
        EnumSet<OrtProvider> available = OrtEnvironment.getAvailableProviders();
        switch (exec.provider()) {
            case CPU:
                return "cpu";
            case NONE:
                throw new IllegalArgumentException(
                        "provider none skips the model; it is for the job's benchmarks, not for"
                                + " opening an ONNX session");
            case CUDA:
                if (!available.contains(OrtProvider.CUDA)) {
                    return unavailable(exec, "CUDA", available, null);
                }
                try {
                    options.addCUDA(exec.deviceId());
                    return "cuda:" + exec.deviceId();
                } catch (OrtException e) {
                    return unavailable(exec, "CUDA", available, e);
                }
            case TENSORRT:
                if (!available.contains(OrtProvider.TENSOR_RT)
                        || !available.contains(OrtProvider.CUDA)) {
                    return unavailable(exec, "TensorRT", available, null);
                }
                try {
                    try (OrtSession.SessionOptions loader = new OrtSession.SessionOptions()) {
                        loader.addCUDA(exec.deviceId());
                    }
                    options.addTensorrt(tensorRtOptions(exec, manifest));
                    options.addCUDA(exec.deviceId());
                    return (exec.fp16() ? "tensorrt-fp16:" : "tensorrt:") + exec.deviceId();
                } catch (OrtException e) {
                    return unavailable(exec, "TensorRT", available, e);
                }
            default:
                throw new IllegalStateException("unknown provider " + exec.provider());
        }
    }

    /**
     * For small auxiliary graphs that run next to the embedder (the kNN search): CUDA when the
     * embedder runs on CUDA or TensorRT, CPU otherwise, with the same fallback rule. TensorRT is
     * not used for them: building an engine for a graph that is one GEMM costs more than it saves.
     *
     * @return the name of what will actually run ("cpu", "cuda:0", ...)
     */
    public static String configureAuxiliary(OrtSession.SessionOptions options, ExecutionConfig exec)
            throws IOException {
        if (exec.provider() == ExecutionConfig.Provider.CPU) {
            return "cpu";
        }
        EnumSet<OrtProvider> available = OrtEnvironment.getAvailableProviders();
        if (!available.contains(OrtProvider.CUDA)) {
            return unavailable(exec, "CUDA", available, null);
        }
        try {
            options.addCUDA(exec.deviceId());
            return "cuda:" + exec.deviceId();
        } catch (OrtException e) {
            return unavailable(exec, "CUDA", available, e);
        }
    }

    static OrtTensorRTProviderOptions tensorRtOptions(
            ExecutionConfig exec, EmbedderManifest manifest) throws OrtException {
        OrtTensorRTProviderOptions trt = new OrtTensorRTProviderOptions(exec.deviceId());
        String input = manifest.input().name();
        int size = manifest.imageSize();
        trt.add("trt_fp16_enable", exec.fp16() ? "1" : "0");
        if (exec.engineCacheDir() != null) {
            trt.add("trt_engine_cache_enable", "1");
            trt.add("trt_engine_cache_path", exec.engineCacheDir());
        }
        trt.add("trt_profile_min_shapes", exec.profileShape(input, exec.minBatch(), size));
        trt.add("trt_profile_opt_shapes", exec.profileShape(input, exec.optBatch(), size));
        trt.add("trt_profile_max_shapes", exec.profileShape(input, exec.maxBatch(), size));
        return trt;
    }

    private static String unavailable(
            ExecutionConfig exec, String what, EnumSet<OrtProvider> available, Exception cause)
            throws IOException {
        String why =
                what
                        + " execution provider is not available"
                        + (cause != null ? " (" + cause.getMessage() + ")" : "")
                        + "; this ONNX Runtime offers "
                        + available
                        + ". GPU providers need the onnxruntime_gpu jar (build with -Pgpu) on a"
                        + " host with CUDA 12 and cuDNN 9, plus TensorRT 10 for TensorRT.";
        if (!exec.fallbackToCpu()) {
            throw new IOException(
                    why
                            + " To run on CPU anyway, start the job with --provider-fallback cpu"
                            + " (ExecutionConfig.fallbackToCpu).");
        }
        LOG.warn("{} Falling back to CPU.", why);
        return "cpu (fallback from " + what.toLowerCase(java.util.Locale.ROOT) + ")";
    }
}
