/**
 * The ingest service's command line: {@code ingest gate}, {@code ingest watch} and {@code ingest
 * serve}, their shared options, and {@link org.bloomstream.ingest.cli.IngestMain}, the entry point
 * of the ingest image. {@code ./bloomstream ingest} mounts the same command classes, so both take
 * exactly the same options.
 */
package org.bloomstream.ingest.cli;
