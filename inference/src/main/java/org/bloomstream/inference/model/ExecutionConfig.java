package org.bloomstream.inference.model;

import java.io.Serializable;

/**
 * How ONNX Runtime runs the embedder. This version runs on CPU only; the CUDA and TensorRT
 * providers are the DinoBloom serving issue's work.
 *
 * @param intraOpThreads threads inside one operator; 0 lets ORT choose (all cores). On a shared
 *     machine set it to cores / subtasks, or subtasks fight over the same cores.
 */
public record ExecutionConfig(int intraOpThreads) implements Serializable {
    public static final ExecutionConfig DEFAULT = new ExecutionConfig(0);

    public ExecutionConfig {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intraOpThreads must be >= 0");
        }
    }
}
