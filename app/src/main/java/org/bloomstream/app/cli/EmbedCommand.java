package org.bloomstream.app.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.bloomstream.inference.image.AlphaPolicy;
import org.bloomstream.job.cli.EmbedderOptions;
import org.bloomstream.modeltools.embed.EmbedRun;
import org.bloomstream.modeltools.embed.EmbeddingsFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code bloomstream embed DIR}: embeddings for a folder of crops. */
@Command(
        name = "embed",
        mixinStandardHelpOptions = true,
        description = {
            "Writes an embedding for every crop in a folder.",
            "",
            "Folders: labels.csv (path,label[,group]), <label>/<patient>/<image> "
                    + "(AML_Hehr), <label>/<image>, or flat. Uses the pipeline's own decode, "
                    + "resize and model code. Output, readable from Python: OUT.npy (float32 "
                    + "[N, D], numpy.load), OUT.csv (index,cell_id,path,label,group, in array "
                    + "order), OUT.json (model id, dims, counts); crops that cannot be decoded "
                    + "go to OUT.errors.csv with their reason."
        })
final class EmbedCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "Folder of crops.")
    Path dir;

    @Option(
            names = "--out",
            paramLabel = "OUT",
            defaultValue = "embeddings",
            description =
                    "Output prefix (default: ${DEFAULT-VALUE} -> embeddings.npy, .csv, .json).")
    Path out;

    @Option(
            names = "--batch-size",
            defaultValue = "32",
            description = "Crops per model call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--decode-threads",
            defaultValue = "0",
            description =
                    "Threads decoding and resizing ahead of the model; 0 = available cores"
                            + " (default: ${DEFAULT-VALUE}).")
    int decodeThreads;

    @Option(
            names = "--alpha",
            defaultValue = "drop",
            paramLabel = "drop|white",
            description =
                    "Alpha channels: drop (default; Pillow's convert(\"RGB\"), what DinoBloom's"
                            + " preprocessing does) or white (composite on white). Recorded in"
                            + " OUT.json.")
    String alpha;

    @Mixin EmbedderOptions embedder = new EmbedderOptions();

    @Override
    public Integer call() throws Exception {
        int cores = Runtime.getRuntime().availableProcessors();
        EmbedRun.Result r =
                new EmbedRun(
                                new EmbedRun.Options(
                                        dir,
                                        out,
                                        embedder.modelPath(),
                                        embedder.execution(1, batchSize),
                                        batchSize,
                                        decodeThreads > 0 ? decodeThreads : cores,
                                        AlphaPolicy.parse(alpha)),
                                System.err)
                        .run();
        System.out.printf(
                Locale.ROOT,
                "wrote %d embeddings (%d dims, model %s) to %s in %.1f s (%.1f crops/s); %d failed%s%n",
                r.embedded(),
                r.dim(),
                r.modelId(),
                EmbeddingsFile.npy(out),
                r.seconds(),
                r.embedded() / r.seconds(),
                r.failed(),
                r.failed() > 0 ? " (see " + EmbeddingsFile.errors(out) + ")" : "");
        return r.failed() > 0 && r.embedded() == 0 ? 1 : 0;
    }
}
