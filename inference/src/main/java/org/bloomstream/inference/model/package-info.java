/**
 * The embedding model: its manifest (the model contract from {@code models/export.py}), execution
 * settings, and the DJL + ONNX Runtime embedder.
 */
package org.bloomstream.inference.model;
