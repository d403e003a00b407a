/**
 * Fitting cell-type heads on labelled embeddings: kNN (no training), the linear probe (Tribuo's
 * multinomial logistic regression) and nearest centroid, with their unknown thresholds. Only the
 * CLI and evaluation use this package; the job serves the fitted files with no training library.
 */
package org.bloomstream.modeltools.heads;
