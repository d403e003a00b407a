package org.bloomstream.inference;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the repository's fixture models from a module's working directory. */
public final class Fixtures {
    private Fixtures() {}

    public static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            if (Files.isDirectory(p.resolve("models/fixtures"))) {
                return p;
            }
            p = p.getParent();
        }
        throw new IllegalStateException(
                "cannot find models/fixtures above " + Path.of("").toAbsolutePath());
    }

    public static Path tinyVit() {
        return repoRoot().resolve("models/fixtures/vit-tiny.onnx");
    }
}
