package org.bloomstream.inference.typing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of head survives its file format, and bad files fail naming the file. */
class HeadFilesTest {
    static final List<String> CLASSES = List.of("neutrophil", "lymphocyte", "blast");

    static float[][] rows(List<String> labels, int perClass, long seed) {
        List<float[]> emb = new ArrayList<>();
        CentroidHeadTest.sample(new Random(seed), perClass, labels, emb);
        return emb.toArray(new float[0][]);
    }

    static LinearHead linear(List<String> labels, float[][] rows) {
        int d = rows[0].length;
        float[] mean = Vectors.mean(rows);
        float[] scale = new float[d];
        java.util.Arrays.fill(scale, 0.3f);
        float[][] w = new float[3][d];
        for (int c = 0; c < 3; c++) {
            w[c][c] = 2f;
        }
        return LinearHead.of(
                new HeadInfo(
                        "lin",
                        "m",
                        d,
                        CLASSES,
                        new UnknownPolicy(0.4, 0.25, 0.01),
                        Map.of("library", "test")),
                mean,
                scale,
                w,
                new float[] {0.1f, -0.2f, 0.3f},
                labels,
                rows);
    }

    private static void assertSameScores(CellTypeHead a, CellTypeHead b, float[][] x)
            throws IOException {
        try (HeadScorer sa = a.open();
                HeadScorer sb = b.open()) {
            Scores pa = sa.score(x, x.length);
            Scores pb = sb.score(x, x.length);
            for (int i = 0; i < x.length; i++) {
                assertThat(pb.probabilities()[i]).containsExactly(pa.probabilities()[i]);
                assertThat(pb.similarity()[i]).isEqualTo(pa.similarity()[i]);
                assertThat(pb.prediction(i, b, b.unknownPolicy()))
                        .isEqualTo(pa.prediction(i, a, a.unknownPolicy()));
            }
        }
    }

    @Test
    void everyKindRoundTrips(@TempDir Path dir) throws Exception {
        List<String> labels = new ArrayList<>();
        float[][] rows = rows(labels, 30, 1);
        List<String> testLabels = new ArrayList<>();
        float[][] test = rows(testLabels, 10, 2);

        CellTypeHead knn =
                KnnHead.fit("knn-1", "m", CLASSES, labels, rows, 5, 0.6, 0.05, Map.of("k", "5"));
        CellTypeHead lin = linear(labels, rows);
        CellTypeHead cen =
                CentroidHead.fit("cen", "m", labels, java.util.Arrays.asList(rows), 0.1)
                        .withUnknownPolicy(
                                new UnknownPolicy(0.3, Double.NEGATIVE_INFINITY, Double.NaN));
        for (CellTypeHead h : List.of(knn, lin, cen)) {
            Path f = dir.resolve(h.kind() + ".json");
            h.write(f);
            CellTypeHead back = HeadFiles.read(f);
            assertThat(back.getClass()).isEqualTo(h.getClass());
            assertThat(back.kind()).isEqualTo(h.kind());
            assertThat(back.headId()).isEqualTo(h.headId());
            assertThat(back.embeddingModelId()).isEqualTo("m");
            assertThat(back.dim()).isEqualTo(8);
            assertThat(back.classes()).isEqualTo(h.classes());
            assertThat(back.unknownPolicy()).isEqualTo(h.unknownPolicy());
            assertThat(back.provenance()).isEqualTo(h.provenance());
            assertSameScores(h, back, test);
            // A second write of what was read is byte-identical: nothing drifts.
            Path again = dir.resolve(h.kind() + "-again.json");
            back.write(again);
            assertThat(Files.readAllBytes(again)).isEqualTo(Files.readAllBytes(f));
        }
        assertThat(((KnnHead) HeadFiles.read(dir.resolve("knn.json"))).k()).isEqualTo(5);
        assertThat(Files.readString(dir.resolve("knn.json")))
                .contains("\"encoding\" : \"float32-le-base64\"");
    }

    @Test
    void aHeadWithoutThresholdsTypesEveryCell(@TempDir Path dir) throws Exception {
        // The walking skeleton's files have no "unknown" section.
        Path f = dir.resolve("old.json");
        Files.writeString(
                f,
                "{\"format\":\"bloomstream-head/1\",\"kind\":\"nearest-centroid\",\"headId\":\"h\","
                        + "\"embeddingModelId\":\"m\",\"dim\":2,\"temperature\":0.1,"
                        + "\"classes\":[\"a\",\"b\"],\"centroids\":[[1,0],[0,1]]}");
        CellTypeHead h = HeadFiles.read(f);
        assertThat(h.unknownPolicy()).isEqualTo(UnknownPolicy.OFF);
        assertThat(h.provenance()).isEmpty();
    }

    @Test
    void aHeadForAnotherEmbedderIsAClearError() throws Exception {
        List<String> labels = new ArrayList<>();
        float[][] rows = rows(labels, 5, 3);
        CellTypeHead knn =
                KnnHead.fit("k", "vit_s14-abc", CLASSES, labels, rows, 3, 0, 0.01, Map.of());
        assertThatThrownBy(() -> knn.checkCompatible("vit_tiny-random-seed0", 8))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vit_s14-abc")
                .hasMessageContaining("vit_tiny-random-seed0")
                .hasMessageContaining("refit");
        assertThatThrownBy(() -> knn.checkCompatible("vit_s14-abc", 384))
                .hasMessageContaining("8 dims")
                .hasMessageContaining("384 dims");
        try (HeadScorer s = knn.open()) {
            assertThatThrownBy(() -> s.score(new float[][] {new float[3]}, 1))
                    .hasMessageContaining("3 dims");
        }
    }

    @Test
    void badFilesFailNamingTheFileAndTheProblem(@TempDir Path dir) throws Exception {
        List<String> labels = new ArrayList<>();
        float[][] rows = rows(labels, 4, 4);
        Path good = dir.resolve("good.json");
        KnnHead.fit("k", "m", CLASSES, labels, rows, 3, 0, Double.NaN, Map.of()).write(good);
        String json = Files.readString(good);

        Path f = dir.resolve("bad-head.json");
        Files.writeString(f, json.replace("bloomstream-head/1", "bloomstream-head/9"));
        assertThatThrownBy(() -> HeadFiles.read(f))
                .hasMessageContaining("bad-head.json")
                .hasMessageContaining("bloomstream-head/9");

        Files.writeString(f, json.replace("\"kind\" : \"knn\"", "\"kind\" : \"svm\""));
        assertThatThrownBy(() -> HeadFiles.read(f)).hasMessageContaining("unknown head kind 'svm'");

        Files.writeString(f, json.replace("\"rows\" : 12", "\"rows\" : 13"));
        assertThatThrownBy(() -> HeadFiles.read(f))
                .hasMessageContaining("bad-head.json")
                .hasMessageContaining("bank data");

        Files.writeString(f, json.replace("\"labels\" : [ ", "\"labels\" : [ 0, "));
        assertThatThrownBy(() -> HeadFiles.read(f))
                .hasMessageContaining("one class index per bank row");

        Files.writeString(f, json.substring(0, json.length() / 2));
        assertThatThrownBy(() -> HeadFiles.read(f))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("bad-head.json");

        assertThatThrownBy(() -> HeadFiles.read(dir.resolve("missing.json")))
                .hasMessageContaining("head file not found");
    }

    @Test
    void classNamesMayNotCollideWithUnknown() {
        assertThatThrownBy(() -> new HeadInfo("h", "m", 2, List.of("a", "Unknown"), null, Map.of()))
                .hasMessageContaining("reserved");
        assertThatThrownBy(() -> new HeadInfo("h", "m", 2, List.of("a", "a"), null, Map.of()))
                .hasMessageContaining("distinct");
    }
}
