package org.bloomstream.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bloomstream.job.cli.BloomstreamHome;

/** Entry point for {@code bench plumbing} (the bench classes stay package-private). */
public final class PlumbingBenchRunner {
    /**
     * Runs every configuration and, when {@code json} is not null, writes the rows there with the
     * decode+resize figure at the top level.
     */
    public void run(
            long crops,
            long warmupCrops,
            List<String> embedders,
            List<Integer> parallelisms,
            boolean threads,
            boolean resizeInGraph,
            Path json)
            throws Exception {
        List<PlumbingBench.Row> rows =
                new PlumbingBench(
                                BloomstreamHome.path(),
                                Files.createTempDirectory("bloomstream-plumbing-"),
                                crops,
                                System.out)
                        .verbose(threads)
                        .resizeInGraph(resizeInGraph)
                        .warmup(warmupCrops)
                        .run(embedders, parallelisms);
        if (json != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("warmup_crops", warmupCrops);
            m.put("plumbing", rows.stream().map(PlumbingBench.Row::toMap).toList());
            PlumbingBench.Row last = rows.get(rows.size() - 1);
            // The two figures, from the last configuration run (the one asked for).
            m.put("job_cpu_ms_per_crop", last.toMap().get("job_cpu_ms_per_crop"));
            m.put(
                    "decode_resize_cpu_ms_per_crop",
                    last.toMap().get("decode_resize_cpu_ms_per_crop"));
            m.put("job_to_decode_resize_ratio", last.toMap().get("job_to_decode_resize_ratio"));
            BenchJson.write(json, m);
            System.out.println("figures written to " + json.toAbsolutePath());
        }
    }
}
