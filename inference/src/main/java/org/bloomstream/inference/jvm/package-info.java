/**
 * First use of JVM-wide facilities (ImageIO, ONNX Runtime) without keeping the caller's class
 * loader: what makes the job safe to resubmit on a Flink session cluster (issue 17).
 */
package org.bloomstream.inference.jvm;
