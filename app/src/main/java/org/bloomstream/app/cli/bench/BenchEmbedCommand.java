package org.bloomstream.app.cli.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.bloomstream.bench.BenchJson;
import org.bloomstream.bench.EmbedBench;
import org.bloomstream.job.cli.BloomstreamHome;
import org.bloomstream.job.cli.EmbedderOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bloomstream bench embed}: raw ONNX Runtime vs the whole pipeline on the same model. */
@Command(
        name = "embed",
        mixinStandardHelpOptions = true,
        description = {
            "Measures model throughput: a bare ONNX Runtime session vs the whole pipeline.",
            "",
            "Same model, batch size and CPU threads both ways; prints crops/s for "
                    + "each and their ratio. For ViT-S/14 with random weights, export it "
                    + "first:",
            "  /usr/bin/python3 models/export.py --random-weights --arch vit_s14 "
                    + "--out models/build/vit-s14-random.onnx",
            "A head for the embedder is fitted on synthetic cells if missing, and "
                    + "an untrained MIL model of the right shape is exported with "
                    + "models/train_mil.py."
        })
public final class BenchEmbedCommand implements Callable<Integer> {
    @Mixin EmbedderOptions embedder = new EmbedderOptions();

    @Option(
            names = "--batch-size",
            defaultValue = "16",
            description = "Crops per model call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--parallelism",
            defaultValue = "1",
            description =
                    "Model instances in the pipeline; each gets cores/parallelism threads, the"
                            + " raw session all of them (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(
            names = "--raw-seconds",
            defaultValue = "20",
            description = "How long the raw session runs (default: ${DEFAULT-VALUE}).")
    double rawSeconds;

    @Option(
            names = "--pipeline-seconds",
            defaultValue = "40",
            description =
                    "Size the pipeline run to last about this long at the raw rate"
                            + " (default: ${DEFAULT-VALUE}).")
    double pipelineSeconds;

    @Option(
            names = "--json",
            paramLabel = "FILE",
            description = "Also write the figures as JSON here.")
    Path json;

    @Override
    public Integer call() throws Exception {
        Path model = embedder.modelPath().toAbsolutePath();
        if (!Files.isRegularFile(model)) {
            System.err.println("no such model: " + model + " (see bench embed --help)");
            return 2;
        }
        Path home = BloomstreamHome.path();
        EmbedBench.Companions companions = EmbedBench.Companions.of(model, home);
        // Same threads both ways: the raw session gets what all pipeline instances share.
        int cores = Runtime.getRuntime().availableProcessors();
        int perInstance = Math.max(1, cores / parallelism);
        EmbedBench.Result r =
                new EmbedBench(
                                new EmbedBench.Options(
                                        model,
                                        embedder.execution(1, batchSize)
                                                .withThreads(perInstance * parallelism),
                                        embedder.execution(1, batchSize).withThreads(perInstance),
                                        companions.head(),
                                        companions.mil(),
                                        home,
                                        batchSize,
                                        rawSeconds,
                                        pipelineSeconds,
                                        parallelism,
                                        Files.createTempDirectory("bloomstream-bench-")),
                                System.out)
                        .run();
        r.printTable(System.out);
        if (json != null) {
            BenchJson.write(json, r.toMap());
        }
        return 0;
    }
}
