package org.bloomstream.modeltools.batcheffects;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.bloomstream.inference.drift.RandomFourierFeatures;
import org.bloomstream.inference.typing.Vectors;
import org.bloomstream.inference.vocabulary.Vocabulary;

/**
 * Batch-effect statistics of labelled embeddings from several data sets. Every embedding is centred
 * on the mean of all of them and scaled to unit length first (as the live drift watch does), so
 * distances are cosine distances of centred embeddings.
 *
 * <ul>
 *   <li>silhouette by data set and by label (Rousseeuw 1987; scikit-learn's {@code
 *       silhouette_score} with the Euclidean metric on those vectors): near 1, tight separate
 *       groups; near 0, mixed. Embeddings that carry biology and not the lab should score higher by
 *       label than by data set.
 *   <li>kNN batch mixing: the share of each cell's {@value #K} nearest neighbours that come from
 *       another data set, against the share expected if data sets were perfectly mixed ({@code (N -
 *       n_b) / (N - 1)}); the ratio is 1 for perfect mixing, 0 when every neighbour is from the
 *       cell's own set.
 *   <li>MMD^2 between each pair of data sets, with the live watch's kernel (random Fourier features
 *       of a Gaussian kernel, bandwidth by the median heuristic): the scale on which the live
 *       threshold is set.
 * </ul>
 *
 * Cost is quadratic in the cell count (all pairs): fine for thousands of cells, not for millions.
 */
public final class BatchEffects {
    public static final int K = 10;

    /** One cell: its data set, its harmonised label, its centred unit embedding. */
    public record Cell(String dataset, String label, float[] u) {}

    /** The report's figures. */
    public record Result(
            List<String> datasets,
            Map<String, Integer> cells,
            double silhouetteByDataset,
            double silhouetteByLabel,
            double mixing,
            double mixingExpected,
            Map<String, Double> mixingByDataset,
            Map<String, Double> silhouetteByLabelWithin,
            double[][] mmd2,
            double sigma) {
        public double mixingRatio() {
            return mixing / mixingExpected;
        }

        /** The report as a Markdown table (what the command prints and the docs show). */
        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append("| data set | cells | kNN mixing (k=").append(K).append(") | ");
            sb.append("silhouette by label, within the set |\n|---|---:|---:|---:|\n");
            for (String s : datasets) {
                sb.append(
                        String.format(
                                Locale.ROOT,
                                "| %s | %d | %.3f | %.3f |%n",
                                s,
                                cells.get(s),
                                mixingByDataset.get(s),
                                silhouetteByLabelWithin.get(s)));
            }
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "| **all** | %d | %.3f (expected if mixed: %.3f; ratio %.3f) | |%n%n",
                            cells.values().stream().mapToInt(Integer::intValue).sum(),
                            mixing,
                            mixingExpected,
                            mixingRatio()));
            sb.append(
                    String.format(
                            Locale.ROOT,
                            "Silhouette by data set: **%.3f**; by cell type (all sets): **%.3f**.%n%n",
                            silhouetteByDataset,
                            silhouetteByLabel));
            sb.append("MMD^2 between data sets (live watch kernel, sigma ");
            sb.append(String.format(Locale.ROOT, "%.3f", sigma)).append("):\n\n| |");
            datasets.forEach(s -> sb.append(' ').append(s).append(" |"));
            sb.append("\n|---|");
            datasets.forEach(s -> sb.append("---:|"));
            sb.append('\n');
            for (int a = 0; a < datasets.size(); a++) {
                sb.append("| ").append(datasets.get(a)).append(" |");
                for (int b = 0; b < datasets.size(); b++) {
                    sb.append(String.format(Locale.ROOT, " %.4f |", mmd2[a][b]));
                }
                sb.append('\n');
            }
            return sb.toString();
        }
    }

    private BatchEffects() {}

    /**
     * A label in a shared vocabulary where the built-in vocabularies know it: peripheral-5 codes
     * for the five peripheral white cells (Matek and bone-marrow codes mapped there), else the
     * class's name in those vocabularies (EBO: erythroblast), else the label lower-cased; so "NGS",
     * "neutrophil" and "Neutrophil" meet, and so do "EBO" and "erythroblast".
     */
    public static String harmonise(String label) {
        if (label == null || label.isBlank()) {
            return "unlabelled";
        }
        Vocabulary p5 = Vocabulary.builtIn("peripheral-5");
        Optional<Vocabulary.Entry> e = p5.find(label);
        if (e.isPresent()) {
            return e.get().code();
        }
        for (String id : List.of("matek-2018-15", "bone-marrow-21")) {
            Vocabulary v = Vocabulary.builtIn(id);
            if (v.find(label).isPresent()) {
                Optional<String> m = v.map(label, "peripheral-5");
                if (m.isPresent()) {
                    return m.get();
                }
                String name = v.find(label).get().name();
                if (name != null && !name.isBlank()) {
                    return name.toLowerCase(Locale.ROOT);
                }
            }
        }
        return label.toLowerCase(Locale.ROOT);
    }

    /** Centres all rows on their common mean and scales them to unit length. */
    public static List<Cell> cells(List<String> datasets, List<String> labels, float[][] rows) {
        float[] center = Vectors.mean(rows);
        List<Cell> out = new ArrayList<>();
        for (int i = 0; i < rows.length; i++) {
            out.add(
                    new Cell(
                            datasets.get(i),
                            harmonise(labels.get(i)),
                            Vectors.centredUnit(rows[i], center)));
        }
        return out;
    }

    public static Result compute(List<Cell> cells) throws IOException {
        int n = cells.size();
        double[][] d = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double s = 0;
                float[] a = cells.get(i).u();
                float[] b = cells.get(j).u();
                for (int k = 0; k < a.length; k++) {
                    double x = a[k] - b[k];
                    s += x * x;
                }
                d[i][j] = d[j][i] = Math.sqrt(s);
            }
        }
        List<String> sets = cells.stream().map(Cell::dataset).distinct().toList();
        Map<String, Integer> count = new LinkedHashMap<>();
        sets.forEach(s -> count.put(s, 0));
        cells.forEach(c -> count.merge(c.dataset(), 1, Integer::sum));

        String[] byDataset = cells.stream().map(Cell::dataset).toArray(String[]::new);
        String[] byLabel = cells.stream().map(Cell::label).toArray(String[]::new);
        double silSet = silhouette(d, byDataset, null);
        double silLabel = silhouette(d, byLabel, null);
        Map<String, Double> within = new LinkedHashMap<>();
        for (String s : sets) {
            within.put(s, silhouette(d, byLabel, s.equals("") ? null : mask(byDataset, s)));
        }

        double mix = 0;
        double expected = 0;
        Map<String, double[]> perSet = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            int[] nn = nearest(d[i], i, Math.min(K, n - 1));
            int other = 0;
            for (int j : nn) {
                other += byDataset[j].equals(byDataset[i]) ? 0 : 1;
            }
            double m = other / (double) nn.length;
            mix += m;
            expected += (n - count.get(byDataset[i])) / (double) (n - 1);
            perSet.computeIfAbsent(byDataset[i], k -> new double[2])[0] += m;
            perSet.get(byDataset[i])[1] += 1;
        }
        Map<String, Double> mixBySet = new LinkedHashMap<>();
        perSet.forEach((k, v) -> mixBySet.put(k, v[0] / v[1]));

        double sigma = medianOffDiagonal(d);
        RandomFourierFeatures rff =
                new RandomFourierFeatures(cells.get(0).u().length, 256, sigma, 19);
        double[][] sums = new double[sets.size()][256];
        double[] sq = new double[sets.size()];
        for (Cell c : cells) {
            int s = sets.indexOf(c.dataset());
            sq[s] += rff.addTo(c.u(), sums[s], 0);
        }
        double[][] mmd = new double[sets.size()][sets.size()];
        for (int a = 0; a < sets.size(); a++) {
            for (int b = 0; b < sets.size(); b++) {
                mmd[a][b] =
                        mmd2(
                                sums[a],
                                sq[a],
                                count.get(sets.get(a)),
                                sums[b],
                                sq[b],
                                count.get(sets.get(b)));
            }
        }
        return new Result(
                sets, count, silSet, silLabel, mix / n, expected / n, mixBySet, within, mmd, sigma);
    }

    /** Unbiased MMD^2 of two samples from their feature sums and summed squared norms. */
    static double mmd2(double[] sa, double qa, int na, double[] sb, double qb, int nb) {
        double aa = 0;
        double bb = 0;
        double ab = 0;
        for (int j = 0; j < sa.length; j++) {
            aa += sa[j] * sa[j];
            bb += sb[j] * sb[j];
            ab += sa[j] * sb[j];
        }
        if (sa == sb) {
            return 0;
        }
        return (aa - qa) / ((double) na * (na - 1))
                + (bb - qb) / ((double) nb * (nb - 1))
                - 2 * ab / ((double) na * nb);
    }

    private static boolean[] mask(String[] groups, String keep) {
        boolean[] m = new boolean[groups.length];
        for (int i = 0; i < groups.length; i++) {
            m[i] = groups[i].equals(keep);
        }
        return m;
    }

    /**
     * Mean silhouette over the cells in {@code mask} (all when null), with clusters {@code groups};
     * a cell alone in its cluster scores 0 (scikit-learn's convention). NaN when fewer than two
     * clusters.
     */
    static double silhouette(double[][] d, String[] groups, boolean[] mask) {
        int n = groups.length;
        List<String> names = new ArrayList<>();
        int[] g = new int[n];
        for (int i = 0; i < n; i++) {
            if (mask != null && !mask[i]) {
                g[i] = -1;
                continue;
            }
            int k = names.indexOf(groups[i]);
            if (k < 0) {
                names.add(groups[i]);
                k = names.size() - 1;
            }
            g[i] = k;
        }
        int c = names.size();
        if (c < 2) {
            return Double.NaN;
        }
        int[] size = new int[c];
        for (int x : g) {
            if (x >= 0) {
                size[x]++;
            }
        }
        double total = 0;
        int counted = 0;
        double[] sum = new double[c];
        for (int i = 0; i < n; i++) {
            if (g[i] < 0) {
                continue;
            }
            java.util.Arrays.fill(sum, 0);
            for (int j = 0; j < n; j++) {
                if (g[j] >= 0 && j != i) {
                    sum[g[j]] += d[i][j];
                }
            }
            counted++;
            if (size[g[i]] < 2) {
                continue;
            }
            double a = sum[g[i]] / (size[g[i]] - 1);
            double b = Double.POSITIVE_INFINITY;
            for (int k = 0; k < c; k++) {
                if (k != g[i] && size[k] > 0) {
                    b = Math.min(b, sum[k] / size[k]);
                }
            }
            total += (b - a) / Math.max(a, b);
        }
        return total / counted;
    }

    private static int[] nearest(double[] row, int self, int k) {
        Integer[] idx = new Integer[row.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Double.compare(row[a], row[b]));
        int[] out = new int[k];
        int m = 0;
        for (int i = 0; i < idx.length && m < k; i++) {
            if (idx[i] != self) {
                out[m++] = idx[i];
            }
        }
        return out;
    }

    private static double medianOffDiagonal(double[][] d) {
        int n = d.length;
        int step = Math.max(1, n / 256);
        List<Double> v = new ArrayList<>();
        for (int i = 0; i < n; i += step) {
            for (int j = i + step; j < n; j += step) {
                v.add(d[i][j]);
            }
        }
        v.sort(null);
        return v.isEmpty() || v.get(v.size() / 2) <= 0 ? 1.0 : v.get(v.size() / 2);
    }

    /** The first two principal components of the cells' vectors (power iteration, seeded). */
    public static double[][] pca2(List<Cell> cells) {
        int n = cells.size();
        int dim = cells.get(0).u().length;
        double[] mean = new double[dim];
        for (Cell c : cells) {
            for (int k = 0; k < dim; k++) {
                mean[k] += c.u()[k] / n;
            }
        }
        double[][] x = new double[n][dim];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < dim; k++) {
                x[i][k] = cells.get(i).u()[k] - mean[k];
            }
        }
        double[][] cov = new double[dim][dim];
        for (double[] r : x) {
            for (int a = 0; a < dim; a++) {
                for (int b = a; b < dim; b++) {
                    cov[a][b] += r[a] * r[b];
                }
            }
        }
        for (int a = 0; a < dim; a++) {
            for (int b = 0; b < a; b++) {
                cov[a][b] = cov[b][a];
            }
        }
        double[] v1 = power(cov, null);
        double[] v2 = power(cov, v1);
        double[][] out = new double[n][2];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < dim; k++) {
                out[i][0] += x[i][k] * v1[k];
                out[i][1] += x[i][k] * v2[k];
            }
        }
        return out;
    }

    /** The leading eigenvector of {@code m}, orthogonal to {@code deflate} when given. */
    private static double[] power(double[][] m, double[] deflate) {
        int dim = m.length;
        double[] v = new double[dim];
        java.util.SplittableRandom r = new java.util.SplittableRandom(19);
        for (int k = 0; k < dim; k++) {
            v[k] = r.nextDouble() - 0.5;
        }
        for (int it = 0; it < 500; it++) {
            if (deflate != null) {
                double p = dot(v, deflate);
                for (int k = 0; k < dim; k++) {
                    v[k] -= p * deflate[k];
                }
            }
            double[] w = new double[dim];
            for (int a = 0; a < dim; a++) {
                double s = 0;
                for (int b = 0; b < dim; b++) {
                    s += m[a][b] * v[b];
                }
                w[a] = s;
            }
            double norm = Math.sqrt(dot(w, w));
            if (norm == 0) {
                break;
            }
            for (int k = 0; k < dim; k++) {
                w[k] /= norm;
            }
            double change = 1 - Math.abs(dot(w, v) / Math.sqrt(dot(v, v)));
            v = w;
            if (change < 1e-12) {
                break;
            }
        }
        if (deflate != null) {
            double p = dot(v, deflate);
            for (int k = 0; k < dim; k++) {
                v[k] -= p * deflate[k];
            }
            double norm = Math.sqrt(dot(v, v));
            for (int k = 0; k < dim; k++) {
                v[k] /= norm;
            }
        }
        return v;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) {
            s += a[k] * b[k];
        }
        return s;
    }
}
