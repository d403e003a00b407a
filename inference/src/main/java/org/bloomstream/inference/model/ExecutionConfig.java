package org.bloomstream.inference.model;

import java.io.Serializable;

/**
 * Where and how ONNX Runtime runs the embedder.
 *
 * @param provider CPU, CUDA or TensorRT; NONE skips the model (plumbing benchmarks only)
 * @param intraOpThreads CPU threads inside one operator; 0 lets ORT choose (all cores). With
 *     several subtasks on one machine, give each cores / subtasks, or they fight over the cores
 * @param deviceId CUDA device for CUDA and TensorRT
 * @param fp16 TensorRT: build fp16 engines
 * @param engineCacheDir TensorRT: where built engines are cached (building one takes minutes for
 *     ViT-L/G; the cache makes restarts fast); null disables the cache
 * @param minBatch TensorRT optimisation profile: smallest batch
 * @param optBatch TensorRT optimisation profile: the batch TensorRT tunes for (the micro-batch
 *     size)
 * @param maxBatch TensorRT optimisation profile: largest batch
 * @param fallbackToCpu when the provider is not available (CPU-only ORT jar, no GPU, missing CUDA
 *     libraries): true logs a warning and runs on CPU; false fails at open with the reason
 */
public record ExecutionConfig(
        Provider provider,
        int intraOpThreads,
        int deviceId,
        boolean fp16,
        String engineCacheDir,
        int minBatch,
        int optBatch,
        int maxBatch,
        boolean fallbackToCpu)
        implements Serializable {

    /** The execution providers bloomstream configures. */
    public enum Provider {
        CPU,
        CUDA,
        TENSORRT,
        /** No model: cheap pixel statistics of the model's width, to benchmark the plumbing. */
        NONE
    }

    public static final ExecutionConfig DEFAULT = cpu(0);

    public ExecutionConfig {
        if (provider == null) {
            throw new IllegalArgumentException("provider is required");
        }
        if (intraOpThreads < 0 || deviceId < 0) {
            throw new IllegalArgumentException("intraOpThreads and deviceId must be >= 0");
        }
        if (minBatch < 1 || optBatch < minBatch || maxBatch < optBatch) {
            throw new IllegalArgumentException(
                    "batch profile must satisfy 1 <= min <= opt <= max, was "
                            + minBatch
                            + "/"
                            + optBatch
                            + "/"
                            + maxBatch);
        }
    }

    public static ExecutionConfig cpu(int threads) {
        return new ExecutionConfig(Provider.CPU, threads, 0, false, null, 1, 16, 64, false);
    }

    public static ExecutionConfig cuda(int deviceId, boolean fallbackToCpu) {
        return new ExecutionConfig(
                Provider.CUDA, 0, deviceId, false, null, 1, 16, 64, fallbackToCpu);
    }

    public static ExecutionConfig tensorRt(
            int deviceId,
            boolean fp16,
            String engineCacheDir,
            int minBatch,
            int optBatch,
            int maxBatch,
            boolean fallbackToCpu) {
        return new ExecutionConfig(
                Provider.TENSORRT,
                0,
                deviceId,
                fp16,
                engineCacheDir,
                minBatch,
                optBatch,
                maxBatch,
                fallbackToCpu);
    }

    public ExecutionConfig withThreads(int threads) {
        return new ExecutionConfig(
                provider,
                threads,
                deviceId,
                fp16,
                engineCacheDir,
                minBatch,
                optBatch,
                maxBatch,
                fallbackToCpu);
    }

    /** TensorRT profile shape option: {@code input:NxCxHxW}. */
    String profileShape(String input, int batch, int size) {
        return input + ":" + batch + "x3x" + size + "x" + size;
    }
}
