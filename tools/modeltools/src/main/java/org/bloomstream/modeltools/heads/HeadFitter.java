package org.bloomstream.modeltools.heads;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bloomstream.inference.typing.CellTypeHead;
import org.bloomstream.inference.typing.CentroidHead;
import org.bloomstream.inference.typing.HeadScorer;
import org.bloomstream.inference.typing.KnnHead;
import org.bloomstream.inference.typing.Scores;
import org.bloomstream.inference.typing.UnknownPolicy;
import org.bloomstream.inference.typing.Vectors;

/**
 * Fits any kind of head on labelled embeddings and records its unknown thresholds: what {@code
 * bloomstream fit-head}, {@code evaluate} and the demo fixture share.
 */
public final class HeadFitter {

    /** The head kinds that can be fitted. */
    public enum Kind {
        KNN("knn"),
        LINEAR("linear"),
        CENTROID("nearest-centroid");

        public final String label;

        Kind(String label) {
            this.label = label;
        }

        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.label.equalsIgnoreCase(s) || k.name().equalsIgnoreCase(s)) {
                    return k;
                }
            }
            throw new IllegalArgumentException(
                    "unknown head kind '" + s + "' (knn, linear or nearest-centroid)");
        }
    }

    /**
     * @param kind which head
     * @param k neighbours of a kNN head
     * @param minConfidence recorded unknown threshold on the top probability
     * @param similarityQuantile the out-of-distribution threshold is this quantile of the fitting
     *     cells' similarities to their nearest reference; NaN leaves the check off
     * @param linear the linear probe's training settings
     * @param metric how a kNN head ranks reference cells
     */
    public record Options(
            Kind kind,
            int k,
            double minConfidence,
            double similarityQuantile,
            LinearProbe.Options linear,
            KnnHead.Metric metric) {
        public Options(
                Kind kind,
                int k,
                double minConfidence,
                double similarityQuantile,
                LinearProbe.Options linear) {
            this(kind, k, minConfidence, similarityQuantile, linear, KnnHead.Metric.COSINE);
        }

        public static Options defaults(Kind kind) {
            return new Options(kind, KnnHead.DEFAULT_K, 0.5, 0.01, LinearProbe.Options.DEFAULT);
        }

        public Options withK(int newK) {
            return new Options(kind, newK, minConfidence, similarityQuantile, linear, metric);
        }

        public Options withMetric(KnnHead.Metric m) {
            return new Options(kind, k, minConfidence, similarityQuantile, linear, m);
        }
    }

    private HeadFitter() {}

    /**
     * Fits a head.
     *
     * @param classes the vocabulary in order; null means the labels' distinct values, sorted
     */
    public static CellTypeHead fit(
            String headId,
            String embeddingModelId,
            List<String> classes,
            List<String> labels,
            float[][] rows,
            Options options,
            Map<String, String> provenance)
            throws IOException {
        if (rows.length == 0 || rows.length != labels.size()) {
            throw new IllegalArgumentException("need one label per embedding, and at least one");
        }
        List<String> vocab =
                classes != null ? classes : new ArrayList<>(new java.util.TreeSet<>(labels));
        Map<String, String> prov = new LinkedHashMap<>(provenance);
        prov.put("fittedOn", rows.length + " cells: " + counts(vocab, labels));
        switch (options.kind()) {
            case KNN:
                prov.put("k", Integer.toString(options.k()));
                prov.put("metric", options.metric().label);
                return KnnHead.fit(
                        headId,
                        embeddingModelId,
                        vocab,
                        labels,
                        rows,
                        options.k(),
                        options.metric(),
                        options.minConfidence(),
                        options.similarityQuantile(),
                        prov);
            case LINEAR:
                return withPolicy(
                        LinearProbe.fit(
                                headId,
                                embeddingModelId,
                                vocab,
                                labels,
                                rows,
                                options.linear(),
                                prov),
                        rows,
                        options);
            case CENTROID:
                List<float[]> list = java.util.Arrays.asList(rows);
                CentroidHead c =
                        CentroidHead.fit(headId, embeddingModelId, labels, list, 0.1)
                                .calibrated(labels, list)
                                .withProvenance(prov);
                return withPolicy(c, rows, options);
            default:
                throw new IllegalStateException("unknown kind " + options.kind());
        }
    }

    /**
     * Records the thresholds; for linear and centroid heads the similarity quantile is taken over
     * the fitting cells themselves (their centroids include them, so it is a little optimistic).
     */
    private static CellTypeHead withPolicy(CellTypeHead head, float[][] rows, Options o)
            throws IOException {
        double minSim = Double.NEGATIVE_INFINITY;
        if (!Double.isNaN(o.similarityQuantile())) {
            try (HeadScorer s = head.open()) {
                Scores scores = s.score(rows, rows.length);
                double[] sims = new double[rows.length];
                for (int i = 0; i < sims.length; i++) {
                    sims[i] = scores.similarity()[i];
                }
                minSim = Vectors.quantile(sims, o.similarityQuantile());
            }
        }
        return head.withUnknownPolicy(
                new UnknownPolicy(o.minConfidence(), minSim, o.similarityQuantile()));
    }

    /** "neutrophil 207, lymphocyte 33, ..." in vocabulary order. */
    static String counts(List<String> vocab, List<String> labels) {
        StringBuilder sb = new StringBuilder();
        for (String c : vocab) {
            long n = labels.stream().filter(c::equals).count();
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(String.format(Locale.ROOT, "%s %d", c, n));
        }
        return sb.toString();
    }
}
