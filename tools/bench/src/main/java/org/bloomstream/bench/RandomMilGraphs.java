package org.bloomstream.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Untrained MIL graphs of a given width, exported by {@code models/train_mil.py --random-weights}.
 * The benches only time the MIL, and an untrained model costs the same to run as a trained one, so
 * they need the shape and not the weights. The export needs Debian's python3-torch and
 * python3-onnx, hence {@code /usr/bin/python3} rather than whatever is first on the PATH.
 */
public final class RandomMilGraphs {
    private RandomMilGraphs() {}

    /** The export command for one model: {@code outStem}{@code .json} plus its ONNX parts. */
    static List<String> command(
            Path home, int dim, String embeddingModelId, String classes, Path outStem) {
        return List.of(
                "/usr/bin/python3",
                home.resolve("models/train_mil.py").toString(),
                "--random-weights",
                "--dim",
                String.valueOf(dim),
                "--embedding-model-id",
                embeddingModelId,
                "--classes",
                classes,
                "--out",
                outStem.toString());
    }

    /** Runs an export with the caller's stdout and stderr; false when Python failed. */
    static boolean export(List<String> command) throws IOException, InterruptedException {
        return new ProcessBuilder(command).inheritIO().start().waitFor() == 0;
    }

    /**
     * The manifests {@code models/build/mil-random-d<D>.json} of {@code bench mil}, one per width
     * (C = 5), exported once and reused after; empty when an export failed.
     */
    public static Optional<Map<Integer, Path>> forWidths(Path home, List<Integer> dims)
            throws IOException, InterruptedException {
        Map<Integer, Path> models = new TreeMap<>();
        for (int d : dims) {
            Path stem = home.resolve("models/build/mil-random-d" + d);
            Path manifest = stem.resolveSibling(stem.getFileName() + ".json");
            if (!Files.isRegularFile(manifest)
                    && !export(command(home, d, "bench-d" + d, "a,b,c,d,control", stem))) {
                return Optional.empty();
            }
            models.put(d, manifest);
        }
        return Optional.of(models);
    }
}
