package org.bloomstream.app.cli.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.bloomstream.bench.BenchJson;
import org.bloomstream.bench.KnnBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bloomstream bench knn}: kNN typing against a large bank, queries/s per batch size. */
@Command(
        name = "knn",
        mixinStandardHelpOptions = true,
        description = {
            "Measures kNN typing throughput against a large reference bank (default"
                    + " 100k x 384, the size of a lab's DinoBloom-S bank), through the"
                    + " serving path: the ONNX MatMul + TopK search the pipeline uses, and"
                    + " the plain-Java search for scale.",
            "",
            "Prints queries/s per micro-batch size and how much of the model stage "
                    + "the kNN would take next to an embedder running at "
                    + "--model-crops-per-second."
        })
public final class BenchKnnCommand implements Callable<Integer> {
    @Option(
            names = "--bank",
            defaultValue = "100000",
            description = "Reference cells in the bank (default: ${DEFAULT-VALUE}).")
    int bank;

    @Option(
            names = "--dim",
            defaultValue = "384",
            description = "Embedding width (default: ${DEFAULT-VALUE}, DinoBloom-S).")
    int dim;

    @Option(
            names = "--k",
            defaultValue = "20",
            description = "Neighbours (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(
            names = "--batch-sizes",
            split = ",",
            defaultValue = "1,16,64,256",
            description = "Micro-batch sizes to measure (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(
            names = "--engines",
            split = ",",
            defaultValue = "onnx,java",
            description = "onnx and/or java (default: ${DEFAULT-VALUE}).")
    List<String> engines;

    @Option(
            names = "--seconds",
            defaultValue = "5",
            description = "Measuring time per configuration (default: ${DEFAULT-VALUE}).")
    double seconds;

    @Option(
            names = "--threads",
            defaultValue = "0",
            description = "ONNX Runtime threads, 0 = all cores (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(
            names = "--model-crops-per-second",
            defaultValue = "15",
            description =
                    "Embedder rate to compare with: ViT-S/14 on 2 CPU cores does about 15"
                            + " (bench embed measures yours) (default: ${DEFAULT-VALUE}).")
    double modelRate;

    @Option(
            names = "--json",
            paramLabel = "FILE",
            description = "Also write the figures as JSON here.")
    Path json;

    @Override
    public Integer call() throws Exception {
        KnnBench.Result r =
                new KnnBench(
                                new KnnBench.Options(
                                        bank, dim, k, batches, seconds, threads, engines,
                                        modelRate),
                                System.out)
                        .run();
        r.printTable(System.out);
        if (json != null) {
            BenchJson.write(json, r.toMap());
        }
        return 0;
    }
}
