/**
 * Fitting cell-type heads on labelled embeddings: kNN (no training; cosine or Euclidean), the
 * linear probe (Tribuo's multinomial logistic regression, bloomstream's own), scikit-learn's L-BFGS
 * logistic regression of the DinoBloom evaluation ({@link LbfgsLogisticRegression}) and nearest
 * centroid, with their unknown thresholds. Only the CLI and evaluation use this package; the job
 * serves the fitted files with no training library.
 */
package org.bloomstream.modeltools.heads;
