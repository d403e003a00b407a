package org.bloomstream.bench;

import java.nio.file.Files;
import java.util.List;
import org.bloomstream.job.cli.BloomstreamHome;

/** Entry point for {@code bench plumbing} (the bench classes stay package-private). */
public final class PlumbingBenchRunner {
    public void run(long crops, List<String> embedders, List<Integer> parallelisms)
            throws Exception {
        new PlumbingBench(
                        BloomstreamHome.path(),
                        Files.createTempDirectory("bloomstream-plumbing-"),
                        crops,
                        System.out)
                .run(embedders, parallelisms);
    }
}
