/**
 * Streaming multiple-instance learning: the exact attention pool kept per specimen, and the MIL
 * models that feed it.
 */
package org.bloomstream.aggregation.mil;
