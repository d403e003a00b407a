package org.bloomstream.modeltools.heads;

import java.util.List;
import java.util.Random;

/** Labelled Gaussian clusters sharing a large common offset, as ViT features do. */
final class Clusters {
    static final List<String> CLASSES = List.of("eosinophil", "lymphocyte", "neutrophil");

    private Clusters() {}

    static float[][] sample(long seed, int perClass, int dim, double noise, List<String> labels) {
        Random r = new Random(seed);
        float[][] rows = new float[CLASSES.size() * perClass][dim];
        int i = 0;
        for (int c = 0; c < CLASSES.size(); c++) {
            for (int k = 0; k < perClass; k++) {
                for (int d = 0; d < dim; d++) {
                    rows[i][d] = 10f + (d == c ? 1f : 0f) + (float) (r.nextGaussian() * noise);
                }
                labels.add(CLASSES.get(c));
                i++;
            }
        }
        return rows;
    }
}
