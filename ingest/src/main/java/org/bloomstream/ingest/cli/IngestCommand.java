package org.bloomstream.ingest.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ingest}: the service's commands. {@code ./bloomstream ingest} adds the development tools
 * {@code replay} and {@code bench} to this same command.
 */
@Command(
        name = "ingest",
        mixinStandardHelpOptions = true,
        description = {
            "Scanner feeds into cells.raw, the ingest gate, and the ingest benchmark.",
            "",
            "The feeds (watch, serve, replay) only produce to cells.raw and "
                    + "scans.events; the gate (a Kafka Streams app, exactly-once) turns "
                    + "cells.raw into cells.accepted and cells.dead. Run the gate once per "
                    + "cluster with `ingest gate` (more instances share the work), or inside a "
                    + "feed's JVM with --with-gate. The topics must exist."
        },
        subcommands = {GateCommand.class, WatchCommand.class, ServeCommand.class})
public class IngestCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
