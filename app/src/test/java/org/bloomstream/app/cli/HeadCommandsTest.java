package org.bloomstream.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.bloomstream.devkit.fixtures.SyntheticCells;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.inference.model.OnnxEmbedder;
import org.bloomstream.inference.typing.CellTypeHead;
import org.bloomstream.inference.typing.HeadFiles;
import org.bloomstream.inference.typing.KnnHead;
import org.bloomstream.job.JobConfig;
import org.bloomstream.modeltools.embed.EmbeddingsFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fit-head and evaluate as the CLI runs them, and a fitted kNN head served by the pipeline. */
class HeadCommandsTest {

    record Run(int exitCode, String stdout, String stderr) {}

    static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        int code;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            var cmd = BloomstreamCli.commandLine();
            cmd.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
            code = cmd.execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        Run r =
                new Run(
                        code,
                        out.toString(StandardCharsets.UTF_8),
                        err.toString(StandardCharsets.UTF_8));
        System.out.print(r.stdout());
        System.out.print(r.stderr());
        return r;
    }

    static Path home() {
        return Path.of(System.getProperty("bloomstream.home", "..")).toAbsolutePath().normalize();
    }

    @Test
    void evaluateThenFitHeadsOnTheJtscCrops(@TempDir Path tmp) throws Exception {
        Path jtsc = DemoCommandTest.sharedData("wbc-jtsc");
        Assumptions.assumeTrue(jtsc != null, "../shared/data/wbc-jtsc is absent: skipping");
        Path out = tmp.resolve("eval");
        Run e =
                cli(
                        "evaluate",
                        "--crops",
                        jtsc.toString(),
                        "--out",
                        out.toString(),
                        "--folds",
                        "3");
        assertThat(e.exitCode()).isZero();
        assertThat(e.stdout())
                .contains("3-fold stratified, ungrouped")
                .contains("balanced acc.")
                .contains("knn-1")
                .contains("knn-20")
                .contains("linear")
                .contains("majority")
                .contains("per-class recall")
                .contains("confusion matrix, linear");
        JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertThat(metrics.get("modelId").asText()).isEqualTo("vit_tiny-random-seed0");
        assertThat(metrics.get("heads").get("linear").get("confusion").size()).isEqualTo(5);
        assertThat(ImageIO.read(out.resolve("confusion.png").toFile()).getWidth()).isPositive();
        assertThat(Files.readString(out.resolve("report.html"))).contains("<table>");
        assertThat(Files.readAllLines(out.resolve("predictions.csv"))).hasSize(1 + 300 * 4);

        // The evaluation's embeddings feed fit-head directly.
        Path emb = out.resolve("embeddings");
        for (String kind : List.of("knn", "linear", "nearest-centroid")) {
            Path head = tmp.resolve(kind + ".json");
            Run f =
                    cli(
                            "fit-head",
                            "--embeddings",
                            emb.toString(),
                            "--kind",
                            kind,
                            "--out",
                            head.toString(),
                            "--vocabulary",
                            "peripheral-5");
            assertThat(f.exitCode()).as(f.stderr()).isZero();
            CellTypeHead h = HeadFiles.read(head);
            assertThat(h.kind()).isEqualTo(kind);
            assertThat(h.headId()).isEqualTo(kind + "-eval-vit_tiny-random-seed0");
            assertThat(h.embeddingModelId()).isEqualTo("vit_tiny-random-seed0");
            assertThat(h.dim()).isEqualTo(64);
            assertThat(h.classes())
                    .containsExactlyInAnyOrder(
                            "neutrophil", "lymphocyte", "monocyte", "eosinophil", "basophil");
            assertThat(h.provenance().get("fittedOn")).startsWith("300 cells");
        }
        assertThat(((KnnHead) HeadFiles.read(tmp.resolve("knn.json"))).k()).isEqualTo(20);

        // Labels from a CSV keyed by path override the folder's; unlisted cells are left out.
        Path labels = tmp.resolve("labels.csv");
        Files.writeString(
                labels,
                "path,label\nimages/001.bmp,mononuclear\nimages/002.bmp,granulocyte\n"
                        + "images/003.bmp,granulocyte\nimages/004.bmp,granulocyte\n");
        Run f =
                cli(
                        "fit-head",
                        "--embeddings",
                        emb.toString(),
                        "--labels",
                        labels.toString(),
                        "--kind",
                        "knn",
                        "--k",
                        "3",
                        "--out",
                        tmp.resolve("coarse.json").toString());
        assertThat(f.exitCode()).isZero();
        assertThat(f.stdout()).contains("left out: {no label=296}");
        assertThat(HeadFiles.read(tmp.resolve("coarse.json")).classes())
                .containsExactly("granulocyte", "mononuclear");

        // Mistakes are one line and exit code 2.
        Run bad =
                cli(
                        "fit-head",
                        "--embeddings",
                        emb.toString(),
                        "--kind",
                        "linear",
                        "--vocabulary",
                        "matek-2018-15",
                        "--out",
                        tmp.resolve("x.json").toString());
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.stderr()).contains("is not a class of matek-2018-15");
        Files.writeString(labels, "file,class\na,b\n");
        Run badCsv =
                cli(
                        "fit-head",
                        "--embeddings",
                        emb.toString(),
                        "--labels",
                        labels.toString(),
                        "--kind",
                        "knn",
                        "--out",
                        tmp.resolve("y.json").toString());
        assertThat(badCsv.exitCode()).isEqualTo(2);
        assertThat(badCsv.stderr()).contains("needs a label column and cell_id or path");
    }

    /**
     * A kNN head fitted with fit-head and loaded from its file by the pipeline: the ONNX search
     * runs inside the Flink job. Fitted on synthetic cells: the demo's summary compares the types
     * with the synthetic cells' reference labels.
     */
    @Test
    void theDemoServesAFittedKnnHeadFromItsFile(@TempDir Path tmp) throws Exception {
        Path emb = tmp.resolve("synthetic");
        try (OnnxEmbedder e =
                OnnxEmbedder.open(
                        home().resolve(JobConfig.FIXTURE_EMBEDDER), ExecutionConfig.cpu(0))) {
            SyntheticCells.Labelled cells = SyntheticCells.embed(e, 40, 0);
            List<EmbeddingsFile.Row> rows = new ArrayList<>();
            for (int i = 0; i < cells.labels().size(); i++) {
                rows.add(new EmbeddingsFile.Row("syn-" + i, null, cells.labels().get(i), null));
            }
            EmbeddingsFile.write(
                    emb, e.modelId(), e.dim(), rows, List.of(cells.embeddings()), Map.of());
        }
        Path head = tmp.resolve("knn.json");
        assertThat(
                        cli(
                                        "fit-head",
                                        "--embeddings",
                                        emb.toString(),
                                        "--kind",
                                        "knn",
                                        "--out",
                                        head.toString())
                                .exitCode())
                .isZero();
        DemoCommandTest.Run r =
                DemoCommandTest.demo(
                        "demo",
                        "--specimens",
                        "3",
                        "--cells",
                        "100",
                        "--rate",
                        "0",
                        "--bad-fraction",
                        "0",
                        "--head",
                        head.toString());
        assertThat(r.exitCode()).isZero();
        JsonNode s = r.summary();
        assertThat(s.get("cells_classified").asLong()).isEqualTo(300);
        // Typed by the kNN head: most synthetic cells agree with their reference type.
        assertThat(s.get("cells_agreeing_with_reference_label").asLong()).isGreaterThan(200);
        assertThat(s.get("reports").asLong()).isEqualTo(3);
    }
}
