package org.bloomstream.app.cli;

import org.bloomstream.ingest.cli.IngestCommand;
import picocli.CommandLine.Command;

/**
 * {@code bloomstream ingest}: the ingest service's own command (gate, watch, serve; inherited with
 * its description and options) plus the development tools {@code replay} and {@code bench}, which
 * never ship in the ingest image.
 */
@Command(
        name = "ingest",
        subcommands = {ReplayCommand.class, IngestBenchCommand.class})
final class IngestWithToolsCommand extends IngestCommand {}
