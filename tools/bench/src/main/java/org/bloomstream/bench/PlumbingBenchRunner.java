package org.bloomstream.bench;

import java.nio.file.Files;
import java.util.List;

/** Entry point for {@code bench plumbing} (the bench classes stay package-private). */
public final class PlumbingBenchRunner {
    public void run(long crops, List<String> embedders, List<Integer> parallelisms)
            throws Exception {
        new PlumbingBench(
                        java.nio.file.Path.of(System.getProperty("bloomstream.home", "."))
                                .toAbsolutePath()
                                .normalize(),
                        Files.createTempDirectory("bloomstream-plumbing-"),
                        crops,
                        System.out)
                .run(embedders, parallelisms);
    }
}
