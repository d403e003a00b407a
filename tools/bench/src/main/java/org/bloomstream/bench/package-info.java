/** Benchmarks that print their figures ({@code bloomstream bench ...}); never run as tests. */
package org.bloomstream.bench;
