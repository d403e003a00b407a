/**
 * A seeded fuzzer for the ingest path: random and mutated image bytes and Avro records for {@code
 * cells.raw}, built from the synthetic scanner's crops (and real crops when a folder is given), and
 * a tally that accounts for every record fed as accepted or dead-lettered.
 *
 * <p>It lives in main code, not tests, because the same generator backs the on-demand {@code
 * bloomstream fuzz} command as well as the short form in {@code mvn verify}: a seed printed by
 * either reproduces the run exactly.
 */
package org.bloomstream.devkit.fuzz;
