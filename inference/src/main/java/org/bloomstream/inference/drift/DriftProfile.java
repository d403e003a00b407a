package org.bloomstream.inference.drift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bloomstream.inference.typing.CellTypeHead;
import org.bloomstream.inference.typing.HeadFiles;
import org.bloomstream.inference.typing.HeadScorer;
import org.bloomstream.inference.typing.KnnHead;
import org.bloomstream.inference.typing.Prediction;
import org.bloomstream.inference.typing.Scores;
import org.bloomstream.inference.typing.Vectors;

/**
 * What the embeddings a head was fitted on looked like, in a form a live window can be compared
 * with: stored in the head file as its {@value #SECTION} section.
 *
 * <ul>
 *   <li>{@code center} [D]: the fitting cells' mean embedding; every embedding is centred on it and
 *       scaled to unit length before the features (the common ViT component would otherwise
 *       dominate every distance).
 *   <li>{@code sigma}: the Gaussian kernel's bandwidth, the median pairwise distance of the centred
 *       unit fitting embeddings (median heuristic, on at most 256 of them).
 *   <li>{@code seed}, {@code features}: the random Fourier features ({@link
 *       RandomFourierFeatures}); defaults {@value #DEFAULT_SEED} and {@value #DEFAULT_FEATURES}.
 *   <li>{@code rffMean} [features]: the mean feature vector of the fitting cells, and {@code
 *       rffMeanSq}: the unbiased estimate of its squared norm (pairs i != j), so the live MMD^2
 *       estimate is unbiased on both sides and sits near 0 when nothing moved.
 *   <li>per class (by most probable class): {@code similarityMean}, {@code similaritySd} of the
 *       nearest-reference similarity, and {@code share}; NaN where unavailable (a kNN head with the
 *       Euclidean metric, whose similarity is not a cosine). For kNN heads the similarity is
 *       leave-one-out (each fitting cell against the others, on at most 512 cells), as a new cell
 *       would see it; for linear and centroid heads the centroids include the cell (a little
 *       optimistic, as the head's own threshold is).
 *   <li>{@code unknownRate}: the share of fitting cells the head's own thresholds call unknown
 *       (optimistic for the same reasons).
 *   <li>{@code classRffMean} [classes][features]: the mean feature vector of the fitting cells of
 *       each most probable class, and {@code classGram} [classes + 1][classes + 1]: the dot
 *       products of those means and the overall mean (last), unbiased on the diagonal. With them
 *       the live watch compares a window with the fitting cells <em>re-weighted to the window's own
 *       class mix</em>, so a specimen rich in blasts is compared with the fitting blasts, not with
 *       the fitting mix (see {@link ScannerDriftFunction}).
 * </ul>
 */
public record DriftProfile(
        long seed,
        int features,
        double sigma,
        float[] center,
        double[] rffMean,
        double rffMeanSq,
        List<String> classes,
        double[] similarityMean,
        double[] similaritySd,
        double[] share,
        double unknownRate,
        int cells,
        double[][] classRffMean,
        double[][] classGram)
        implements Serializable {
    /** The head file section that holds the profile. */
    public static final String SECTION = "driftProfile";

    public static final String FORMAT = "bloomstream-drift/1";
    public static final long DEFAULT_SEED = 19;
    public static final int DEFAULT_FEATURES = 256;
    private static final int SIGMA_SAMPLE = 256;
    private static final int LOO_SAMPLE = 512;
    private static final ObjectMapper JSON = new ObjectMapper();

    public DriftProfile {
        classes = List.copyOf(classes);
        if (rffMean.length != features
                || similarityMean.length != classes.size()
                || similaritySd.length != classes.size()
                || share.length != classes.size()
                || classRffMean.length != classes.size()
                || classGram.length != classes.size() + 1) {
            throw new IllegalArgumentException("drift profile arrays disagree in length");
        }
    }

    /** The features this profile was computed with. */
    public RandomFourierFeatures rff() {
        return new RandomFourierFeatures(center.length, features, sigma, seed);
    }

    /** Centred, unit-length embedding: the features' input. */
    public float[] prepare(float[] embedding) {
        return Vectors.centredUnit(embedding, center);
    }

    /** Fits the profile on the embeddings {@code head} was fitted on, with the default features. */
    public static DriftProfile fit(CellTypeHead head, float[][] rows) throws IOException {
        return fit(head, rows, DEFAULT_FEATURES, DEFAULT_SEED);
    }

    public static DriftProfile fit(CellTypeHead head, float[][] rows, int features, long seed)
            throws IOException {
        if (rows.length < 2) {
            throw new IllegalArgumentException("a drift profile needs at least 2 cells");
        }
        int n = rows.length;
        float[] center = Vectors.mean(rows);
        float[][] u = new float[n][];
        for (int i = 0; i < n; i++) {
            u[i] = Vectors.centredUnit(rows[i], center);
        }
        double sigma = medianDistance(u);
        int c = head.classes().size();
        int[] best = new int[n];
        float[] sim = new float[n];
        int unknown = 0;
        try (HeadScorer s = head.open()) {
            int batch = 256;
            float[][] q = new float[batch][];
            for (int start = 0; start < n; start += batch) {
                int m = Math.min(batch, n - start);
                System.arraycopy(rows, start, q, 0, m);
                Scores scores = s.score(q, m);
                for (int i = 0; i < m; i++) {
                    Prediction p = scores.prediction(i, head, head.unknownPolicy());
                    best[start + i] = p.best();
                    sim[start + i] = p.similarity();
                    unknown += p.unknown() ? 1 : 0;
                }
            }
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("scoring the fitting cells failed: " + e.getMessage(), e);
        }
        double[] share = new double[c];
        for (int i = 0; i < n; i++) {
            share[best[i]] += 1.0 / n;
        }
        RandomFourierFeatures rff = new RandomFourierFeatures(center.length, features, sigma, seed);
        // Feature sums overall (index c) and per most probable class, with summed |phi|^2.
        double[][] sums = new double[c + 1][features];
        double[] sqs = new double[c + 1];
        int[] counts = new int[c + 1];
        double[] phi = new double[features];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(phi, 0);
            double q = rff.addTo(u[i], phi, 0);
            for (int k : new int[] {best[i], c}) {
                for (int j = 0; j < features; j++) {
                    sums[k][j] += phi[j];
                }
                sqs[k] += q;
                counts[k]++;
            }
        }
        double[][] means = new double[c + 1][features];
        for (int k = 0; k <= c; k++) {
            for (int j = 0; j < features; j++) {
                means[k][j] = counts[k] > 0 ? sums[k][j] / counts[k] : 0;
            }
        }
        double[][] gram = new double[c + 1][c + 1];
        for (int a = 0; a <= c; a++) {
            for (int b = 0; b <= c; b++) {
                double dot = 0;
                for (int j = 0; j < features; j++) {
                    dot += means[a][j] * means[b][j];
                }
                if (a == b && counts[a] > 1) {
                    // pairs i != j only: the self-pairs would bias |mu_a|^2 up by about 1 / n_a
                    dot =
                            (dot * counts[a] * counts[a] - sqs[a])
                                    / ((double) counts[a] * (counts[a] - 1));
                }
                gram[a][b] = dot;
            }
        }
        double[] mean = means[c];
        double meanSq = gram[c][c];
        double[][] classMeans = java.util.Arrays.copyOf(means, c);
        double[] simMean = new double[c];
        double[] simSd = new double[c];
        int[] sample = null;
        if (head instanceof KnnHead k) {
            if (k.metric() == KnnHead.Metric.COSINE) {
                sample = sample(n, LOO_SAMPLE);
                sim = leaveOneOut(rows, sample);
            } else {
                Arrays.fill(simMean, Double.NaN);
                Arrays.fill(simSd, Double.NaN);
            }
        }
        if (!(head instanceof KnnHead k2) || k2.metric() == KnnHead.Metric.COSINE) {
            double[] s1 = new double[c];
            double[] s2 = new double[c];
            int[] cnt = new int[c];
            for (int i = 0; i < sim.length; i++) {
                int cls = best[sample != null ? sample[i] : i];
                s1[cls] += sim[i];
                s2[cls] += (double) sim[i] * sim[i];
                cnt[cls]++;
            }
            for (int k = 0; k < c; k++) {
                simMean[k] = cnt[k] > 0 ? s1[k] / cnt[k] : Double.NaN;
                simSd[k] =
                        cnt[k] > 1
                                ? Math.sqrt(
                                        Math.max(
                                                0, (s2[k] - s1[k] * s1[k] / cnt[k]) / (cnt[k] - 1)))
                                : Double.NaN;
            }
        }
        return new DriftProfile(
                seed,
                features,
                sigma,
                center,
                mean,
                meanSq,
                head.classes(),
                simMean,
                simSd,
                share,
                unknown / (double) n,
                n,
                classMeans,
                gram);
    }

    /** Fitting cells per most probable class (from the shares). */
    public int classCells(int k) {
        return (int) Math.round(share[k] * cells);
    }

    /** Evenly spaced indices (deterministic), all of them when {@code n <= max}. */
    private static int[] sample(int n, int max) {
        int m = Math.min(n, max);
        int[] out = new int[m];
        for (int i = 0; i < m; i++) {
            out[i] = (int) ((long) i * n / m);
        }
        return out;
    }

    private static double medianDistance(float[][] u) {
        int[] s = sample(u.length, SIGMA_SAMPLE);
        List<Double> d = new ArrayList<>();
        for (int i = 0; i < s.length; i++) {
            for (int j = i + 1; j < s.length; j++) {
                double acc = 0;
                for (int k = 0; k < u[0].length; k++) {
                    double x = u[s[i]][k] - u[s[j]][k];
                    acc += x * x;
                }
                d.add(Math.sqrt(acc));
            }
        }
        d.sort(null);
        double med = d.get(d.size() / 2);
        return med > 0 ? med : 1.0;
    }

    /** Cosine similarity of each sampled row to its nearest other row (what a kNN head sees). */
    private static float[] leaveOneOut(float[][] rows, int[] sample) {
        float[][] unit = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            unit[i] = Vectors.unit(rows[i]);
        }
        float[] out = new float[sample.length];
        for (int i = 0; i < sample.length; i++) {
            double best = -1;
            for (int j = 0; j < rows.length; j++) {
                if (j != sample[i]) {
                    best = Math.max(best, Vectors.dot(unit[sample[i]], unit[j]));
                }
            }
            out[i] = (float) best;
        }
        return out;
    }

    /** Nearest-reference similarity of the fitting cells, weighted by class share. */
    public double similarityMeanOverall() {
        double s = 0;
        double w = 0;
        for (int k = 0; k < share.length; k++) {
            if (!Double.isNaN(similarityMean[k])) {
                s += share[k] * similarityMean[k];
                w += share[k];
            }
        }
        return w > 0 ? s / w : Double.NaN;
    }

    public JsonNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", FORMAT);
        o.put("seed", seed);
        o.put("features", features);
        o.put("sigma", sigma);
        o.put("cells", cells);
        o.put("unknownRate", unknownRate);
        o.put("rffMeanSq", rffMeanSq);
        o.set("classes", JSON.valueToTree(classes));
        o.set("similarityMean", nanSafe(similarityMean));
        o.set("similaritySd", nanSafe(similaritySd));
        o.set("share", JSON.valueToTree(share));
        o.set("center", JSON.valueToTree(center));
        o.set("rffMean", JSON.valueToTree(rffMean));
        o.set("classRffMean", JSON.valueToTree(classRffMean));
        o.set("classGram", JSON.valueToTree(classGram));
        return o;
    }

    private static JsonNode nanSafe(double[] v) {
        var a = JSON.createArrayNode();
        for (double x : v) {
            if (Double.isNaN(x)) {
                a.addNull();
            } else {
                a.add(x);
            }
        }
        return a;
    }

    private static double[][] matrix(JsonNode a) {
        double[][] out = new double[a.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = doubles(a.get(i));
        }
        return out;
    }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).isNull() ? Double.NaN : a.get(i).asDouble();
        }
        return out;
    }

    public static DriftProfile fromJson(JsonNode o) throws IOException {
        if (!FORMAT.equals(o.path("format").asText(null))) {
            throw new IOException(
                    "drift profile format is " + o.path("format") + ", expected " + FORMAT);
        }
        try {
            double[] c = doubles(o.get("center"));
            float[] center = new float[c.length];
            for (int i = 0; i < c.length; i++) {
                center[i] = (float) c[i];
            }
            List<String> classes = new ArrayList<>();
            o.get("classes").forEach(n -> classes.add(n.asText()));
            return new DriftProfile(
                    o.get("seed").asLong(),
                    o.get("features").asInt(),
                    o.get("sigma").asDouble(),
                    center,
                    doubles(o.get("rffMean")),
                    o.get("rffMeanSq").asDouble(),
                    classes,
                    doubles(o.get("similarityMean")),
                    doubles(o.get("similaritySd")),
                    doubles(o.get("share")),
                    o.get("unknownRate").asDouble(),
                    o.get("cells").asInt(),
                    matrix(o.get("classRffMean")),
                    matrix(o.get("classGram")));
        } catch (NullPointerException | IllegalArgumentException e) {
            throw new IOException("malformed drift profile: " + e, e);
        }
    }

    /** The profile stored in a head file; empty for heads fitted before profiles existed. */
    public static Optional<DriftProfile> read(Path headFile) throws IOException {
        Optional<JsonNode> node = HeadFiles.section(headFile, SECTION);
        if (node.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(fromJson(node.get()));
        } catch (IOException e) {
            throw new IOException(headFile + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code head} with this profile as its {@value #SECTION} section. */
    public void writeWith(CellTypeHead head, Path file) throws IOException {
        if (!head.classes().equals(classes) || head.dim() != center.length) {
            throw new IllegalArgumentException("drift profile was computed for another head");
        }
        HeadFiles.write(head, file, Map.of(SECTION, toJson()));
    }
}
