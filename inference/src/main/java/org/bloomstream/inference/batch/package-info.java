/**
 * The micro-batcher: a Flink operator (not a window) that groups crops for the model and flushes on
 * size, on a max-delay timer and before every checkpoint barrier.
 */
package org.bloomstream.inference.batch;
