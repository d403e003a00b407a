/**
 * Batch-effect (drift) watch: how far the embeddings a scanner produces now have moved from the
 * embeddings a head was fitted on.
 *
 * <p>{@link org.bloomstream.inference.drift.DriftProfile} is the reference, computed once at fit
 * time and stored in the head file as its {@code driftProfile} section; {@link
 * org.bloomstream.inference.drift.DriftWindow} is the constant-size rolling sketch of one scanner's
 * recent cells; {@link org.bloomstream.inference.drift.ScannerDriftFunction} is the keyed Flink
 * operator that compares the two. The distance is a maximum mean discrepancy (MMD) through {@link
 * org.bloomstream.inference.drift.RandomFourierFeatures}, so a window is a fixed-length vector
 * whatever its cell count.
 */
package org.bloomstream.inference.drift;
