/**
 * The offline batch-effect report between data sets ({@code bloomstream batch-effects}): how
 * strongly embeddings separate by data set against by cell type (silhouettes, kNN batch mixing,
 * pairwise MMD^2 with the live watch's kernel), and a 2-D PCA map as a PNG.
 */
package org.bloomstream.modeltools.batcheffects;
