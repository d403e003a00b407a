/**
 * Exact top-k cosine-similarity search for kNN heads: a batch of queries against the whole
 * reference bank as one ONNX Runtime {@code MatMul + TopK} call, and a plain-Java reference to test
 * it against. Exact, not approximate: a 100k x 384 bank is small enough that one matrix multiply
 * per micro-batch costs little next to the ViT (see {@code bloomstream bench knn}).
 */
package org.bloomstream.inference.typing.knn;
