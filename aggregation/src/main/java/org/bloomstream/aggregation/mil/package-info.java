/**
 * Streaming multiple-instance learning: the exact attention pool kept per specimen, the MIL model
 * format (instance ONNX + bag-head ONNX + manifest) and its runtime.
 */
package org.bloomstream.aggregation.mil;
