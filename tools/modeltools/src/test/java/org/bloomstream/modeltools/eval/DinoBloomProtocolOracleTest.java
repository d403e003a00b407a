package org.bloomstream.modeltools.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bloomstream.inference.model.ExecutionConfig;
import org.bloomstream.modeltools.embed.EmbedRun;
import org.bloomstream.modeltools.heads.LabelledEmbeddings;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scikit-learn is the oracle of {@code evaluate --protocol dinobloom}: the same embeddings (the
 * fixture ViT on the real crops in ../shared/data) go through {@link DinoBloomProtocol} and through
 * {@code src/test/python/dinobloom_sklearn.py}, which runs DinoBloom's own evaluation code path
 * with Debian's python3-sklearn (1.2). The folds, every kNN-1 and kNN-20 prediction and their
 * metrics must be identical; the linear probe's mean metrics must agree within 0.005.
 *
 * <p>Without python3-sklearn the test is skipped, unless {@code BLOOMSTREAM_REQUIRE_PYTHON=1} (as
 * in {@code .ci/run}), where that is a failure.
 */
class DinoBloomProtocolOracleTest {
    private static final String PYTHON = "/usr/bin/python3";
    private static final ObjectMapper JSON = new ObjectMapper();

    static boolean sklearnAvailable() throws Exception {
        boolean ok = false;
        if (Files.isExecutable(Path.of(PYTHON))) {
            Process p =
                    new ProcessBuilder(PYTHON, "-c", "import sklearn")
                            .redirectErrorStream(true)
                            .start();
            p.getInputStream().readAllBytes();
            ok = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        }
        if (!ok && "1".equals(System.getenv("BLOOMSTREAM_REQUIRE_PYTHON"))) {
            throw new AssertionError(
                    "the scikit-learn oracle needs Debian's python3-sklearn:"
                            + " apt-get install -y python3-sklearn");
        }
        return ok;
    }

    static Path embed(Path crops, Path out) throws Exception {
        new EmbedRun(
                        new EmbedRun.Options(
                                crops,
                                out,
                                EvaluationOnSharedDataTest.home()
                                        .resolve("models/fixtures/vit-tiny.onnx"),
                                ExecutionConfig.cpu(1),
                                32,
                                2),
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))
                .run();
        return out;
    }

    static JsonNode sklearn(Path prefix, Path tmp, Path... lists) throws Exception {
        Path script =
                EvaluationOnSharedDataTest.home()
                        .resolve("tools/modeltools/src/test/python/dinobloom_sklearn.py");
        Path json = tmp.resolve(prefix.getFileName() + ".sklearn.json");
        List<String> cmd = new ArrayList<>(List.of(PYTHON, script.toString(), prefix.toString()));
        cmd.add(json.toString());
        for (Path l : lists) {
            cmd.add(l.toString());
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(log).isZero();
        return JSON.readTree(json.toFile());
    }

    /** Compares one data set; returns a line of the measured agreement. */
    static String compare(String name, Evaluation.Result java, JsonNode sk) {
        JsonNode folds = sk.get("folds");
        assertThat(java.folds()).isEqualTo(folds.size());
        assertThat(java.classes()).containsExactlyElementsOf(strings(sk.get("classes")));
        StringBuilder line = new StringBuilder(name);
        for (String head : List.of("knn-1", "knn-20", "linear")) {
            Map<String, String> predicted = new LinkedHashMap<>();
            for (Evaluation.Row r : java.rows()) {
                if (r.head().equals(head)) {
                    predicted.put(r.fold() + "/" + r.cellId(), r.predicted());
                }
            }
            double[][] sklearnMetrics = new double[3][folds.size()];
            for (int f = 0; f < folds.size(); f++) {
                JsonNode fold = folds.get(f);
                List<String> test = strings(fold.get("test"));
                List<String> javaTest = new ArrayList<>();
                for (Evaluation.Row r : java.rows()) {
                    if (r.head().equals(head) && r.fold() == f) {
                        javaTest.add(r.cellId());
                    }
                }
                assertThat(javaTest).as("%s fold %d test cells", name, f).isEqualTo(test);
                JsonNode h = fold.get(head);
                sklearnMetrics[0][f] = h.get("accuracy").asDouble();
                sklearnMetrics[1][f] = h.get("balancedAccuracy").asDouble();
                sklearnMetrics[2][f] = h.get("weightedF1").asDouble();
                if (head.startsWith("knn")) {
                    List<String> skPred = strings(h.get("predicted"));
                    for (int t = 0; t < test.size(); t++) {
                        assertThat(predicted.get(f + "/" + test.get(t)))
                                .as("%s %s fold %d cell %s", name, head, f, test.get(t))
                                .isEqualTo(skPred.get(t));
                    }
                }
            }
            Evaluation.HeadResult jh = java.head(head);
            double[][] javaMetrics = {jh.accuracy(), jh.balancedAccuracy(), jh.weightedF1()};
            String[] metric = {"acc", "bal", "wF1"};
            for (int m = 0; m < 3; m++) {
                double j = Evaluation.mean(javaMetrics[m]);
                double s = Evaluation.mean(sklearnMetrics[m]);
                if (head.startsWith("knn")) {
                    assertThat(javaMetrics[m])
                            .as("%s %s %s per fold", name, head, metric[m])
                            .containsExactly(sklearnMetrics[m], within(1e-12));
                    assertThat(String.format(Locale.ROOT, "%.3f", j))
                            .isEqualTo(String.format(Locale.ROOT, "%.3f", s));
                } else {
                    assertThat(j).as("%s %s %s", name, head, metric[m]).isCloseTo(s, within(0.005));
                }
                line.append(String.format(Locale.ROOT, " %s %s %.4f/%.4f", head, metric[m], j, s));
            }
        }
        return line.toString();
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void kFoldMatchesScikitLearnOnSharedData(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(sklearnAvailable(), "python3-sklearn is absent: skipping");
        int sets = 0;
        for (String name : List.of("wbc-bccd", "wbc-jtsc", "pbc-acevedo")) {
            Path crops = EvaluationOnSharedDataTest.shared(name);
            if (crops == null) {
                continue;
            }
            Path prefix = embed(crops, tmp.resolve(name));
            LabelledEmbeddings data = LabelledEmbeddings.load(prefix, null);
            Evaluation.Result java = DinoBloomProtocol.run(data, DinoBloomProtocol.kFold(data));
            assertThat(java.protocol()).isEqualTo("dinobloom");
            System.out.println(compare(name, java, sklearn(prefix, tmp)));
            sets++;
        }
        Assumptions.assumeTrue(sets > 0, "../shared/data is absent: skipping");
    }

    /**
     * The fixed-split mode, on the AML cytomorphology crops (3 per class: too few for five
     * stratified folds, which scikit-learn refuses as the Java side does): per class, the first two
     * cells train and the third tests. The lists name cells by a longer path, as the reference's
     * split CSVs do.
     */
    @Test
    void fixedSplitMatchesScikitLearn(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(sklearnAvailable(), "python3-sklearn is absent: skipping");
        Path crops = EvaluationOnSharedDataTest.shared("aml-cytomorphology-lmu");
        Assumptions.assumeTrue(crops != null, "../shared/data is absent: skipping");
        Path prefix = embed(crops, tmp.resolve("aml"));
        LabelledEmbeddings data = LabelledEmbeddings.load(prefix, null);
        try {
            DinoBloomProtocol.kFold(data);
            throw new AssertionError("StratifiedKFold(5) must refuse 3 cells per class");
        } catch (IllegalArgumentException expected) {
            assertThat(expected).hasMessageContaining("number of members in each class");
        }
        Map<String, Integer> seen = new LinkedHashMap<>();
        List<String> train = new ArrayList<>(List.of("path,label"));
        List<String> test = new ArrayList<>(List.of("path,label"));
        for (int i = 0; i < data.size(); i++) {
            int n = seen.merge(data.labels().get(i), 1, Integer::sum);
            String line = "/data/AML/" + data.ids().get(i) + "," + data.labels().get(i);
            (n <= 2 ? train : test).add(line);
        }
        Path trainCsv = write(tmp.resolve("train.csv"), train);
        Path testCsv = write(tmp.resolve("test.csv"), test);
        Evaluation.Result java =
                DinoBloomProtocol.run(
                        data,
                        DinoBloomProtocol.fixed(data, trainOrTest(trainCsv), trainOrTest(testCsv)));
        assertThat(java.protocol()).isEqualTo("dinobloom-fixed-split");
        assertThat(java.cells()).isEqualTo(10);
        // kNN-20 needs 20 training cells; there are 20.
        System.out.println(
                compare("aml-fixed-split", java, sklearnIds(prefix, tmp, data, train, test)));
    }

    private static List<String> trainOrTest(Path csv) throws IOException {
        return DinoBloomProtocol.readList(csv);
    }

    /** The oracle gets the lists with cell ids (its matching is plain). */
    private static JsonNode sklearnIds(
            Path prefix, Path tmp, LabelledEmbeddings data, List<String> train, List<String> test)
            throws Exception {
        Path a = write(tmp.resolve("train-ids.txt"), ids(train));
        Path b = write(tmp.resolve("test-ids.txt"), ids(test));
        return sklearn(prefix, tmp, a, b);
    }

    private static List<String> ids(List<String> csvLines) {
        List<String> out = new ArrayList<>();
        for (String l : csvLines.subList(1, csvLines.size())) {
            out.add(l.substring("/data/AML/".length(), l.indexOf(',')));
        }
        return out;
    }

    private static Path write(Path p, List<String> lines) throws IOException {
        Files.write(p, lines);
        return p;
    }
}
