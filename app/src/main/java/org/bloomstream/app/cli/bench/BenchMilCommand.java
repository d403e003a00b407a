package org.bloomstream.app.cli.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.bloomstream.bench.BenchJson;
import org.bloomstream.bench.MilBench;
import org.bloomstream.bench.RandomMilGraphs;
import org.bloomstream.job.cli.BloomstreamHome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bloomstream bench mil}: the streaming MIL's cost per cell and state per specimen. */
@Command(
        name = "mil",
        mixinStandardHelpOptions = true,
        description = {
            "Measures the streaming MIL's cost: update ns per cell, state bytes per specimen.",
            "",
            "For D = 384/768/1024/1536 and C = 5: the keyed-state update per cell "
                    + "(exact pooling, top-k, differential), the serialised state of a "
                    + "540-cell specimen, and the ONNX Runtime cost of the instance part and "
                    + "the bag head (untrained MIL graphs of each width, exported once with "
                    + "models/train_mil.py into models/build/). With --rocksdb-specimens N, "
                    + "also N open specimens on the RocksDB state backend; run it with a "
                    + "bounded heap, e.g. BLOOMSTREAM_JAVA_OPTS=-Xmx1g."
        })
public final class BenchMilCommand implements Callable<Integer> {
    @Option(
            names = "--dims",
            split = ",",
            defaultValue = "384,768,1024,1536",
            description = "Embedding widths (default: ${DEFAULT-VALUE}).")
    List<Integer> dims;

    @Option(
            names = "--no-ort",
            description = "Skip the ONNX Runtime columns (no Python export needed).")
    boolean noOrt;

    @Option(
            names = "--rocksdb-specimens",
            defaultValue = "0",
            description =
                    "Open this many specimens on RocksDB at once (100000 in the README's"
                            + " figures; default: ${DEFAULT-VALUE}, skipped).")
    int rocksSpecimens;

    @Option(
            names = "--rocksdb-cells",
            defaultValue = "3",
            description = "Cells per specimen in the RocksDB run (default: ${DEFAULT-VALUE}).")
    int rocksCells;

    @Option(
            names = "--rocksdb-dim",
            defaultValue = "384",
            description = "Embedding width in the RocksDB run (default: ${DEFAULT-VALUE}).")
    int rocksDim;

    @Option(
            names = "--json",
            paramLabel = "FILE",
            description = "Also write the figures as JSON here.")
    Path json;

    @Override
    public Integer call() throws Exception {
        Optional<Map<Integer, Path>> models =
                noOrt
                        ? Optional.of(Map.of())
                        : RandomMilGraphs.forWidths(BloomstreamHome.path(), dims);
        if (models.isEmpty()) {
            System.err.println(
                    "cannot export MIL graphs (Debian's python3-torch and python3-onnx); use --no-ort");
            return 2;
        }
        Map<String, Object> r =
                new MilBench(
                                new MilBench.Options(
                                        dims,
                                        540, // a SCEMILA patient's cells
                                        models.get(),
                                        rocksSpecimens,
                                        rocksCells,
                                        rocksDim,
                                        Files.createTempDirectory("bloomstream-milbench-")),
                                System.out)
                        .run();
        if (json != null) {
            BenchJson.write(json, r);
        }
        return 0;
    }
}
