/**
 * The inference stage of the job: decode and resize crops, micro-batch them through the DinoBloom
 * embedder on ONNX Runtime, and type each cell.
 */
package org.bloomstream.inference;
