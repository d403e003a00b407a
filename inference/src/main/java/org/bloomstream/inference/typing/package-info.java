/**
 * Cell-type heads on frozen embeddings and the operator that applies them.
 *
 * <p>{@link org.bloomstream.inference.typing.CellTypeHead} is the abstraction: kNN (cosine or
 * Euclidean) and linear-probe heads, and the walking skeleton's nearest-centroid head, all in one
 * versioned file format ({@link org.bloomstream.inference.typing.HeadFiles}) that records the class
 * vocabulary, the embedding model and the dims. {@link
 * org.bloomstream.inference.typing.UnknownPolicy} decides when a cell is typed "unknown". Fitting
 * lives in the app module ({@code bloomstream fit-head}), so the pipeline carries no training
 * library.
 */
package org.bloomstream.inference.typing;
