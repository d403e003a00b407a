package org.bloomstream.inference.model;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * Opens an embedder inside a Flink subtask. Shipped with the job graph, so it holds only a path and
 * settings: the native session is created in {@code open()} on the task manager.
 */
@FunctionalInterface
public interface EmbedderFactory extends Serializable {
    Embedder create() throws Exception;

    /**
     * The ONNX model at {@code onnx}, described by the manifest next to it; with provider NONE, a
     * stand-in with that model's identity that does not run it (benchmarks of the plumbing).
     */
    static EmbedderFactory onnx(Path onnx, ExecutionConfig exec) {
        String path = onnx.toAbsolutePath().toString();
        if (exec.provider() == ExecutionConfig.Provider.NONE) {
            return () -> new NullEmbedder(EmbedderManifest.forModel(Path.of(path)));
        }
        return () -> OnnxEmbedder.open(Path.of(path), exec);
    }

    /**
     * As {@link #onnx(Path, ExecutionConfig)}; with {@code resizeInGraph} the embedder takes crops
     * at their decoded size and resizes and normalises them in its graph ({@link ResizeGraph}).
     */
    static EmbedderFactory onnx(Path onnx, ExecutionConfig exec, boolean resizeInGraph) {
        if (!resizeInGraph) {
            return onnx(onnx, exec);
        }
        String path = onnx.toAbsolutePath().toString();
        if (exec.provider() == ExecutionConfig.Provider.NONE) {
            // The plumbing of a GPU host: crops leave the decoder at their decoded size.
            return () -> new NullEmbedder(EmbedderManifest.forModel(Path.of(path)), true);
        }
        return () -> OnnxEmbedder.open(Path.of(path), exec, true);
    }
}
