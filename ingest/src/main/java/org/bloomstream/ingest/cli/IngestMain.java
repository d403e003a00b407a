package org.bloomstream.ingest.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The entry point of the ingest image ({@code bloomstream-ingest-service.jar}): {@code ingest
 * gate|watch| serve} with exactly the options of {@code ./bloomstream ingest}, so a compose file or
 * a Kubernetes manifest reads the same either way. It carries only the ingest module and its own
 * dependencies: no Flink, no ONNX Runtime, no broker.
 */
@Command(
        name = "bloomstream-ingest",
        mixinStandardHelpOptions = true,
        version = "bloomstream-ingest 0.1.0",
        description = "The bloomstream ingest service: scanner feeds and the ingest gate.",
        subcommands = {IngestCommand.class, CommandLine.HelpCommand.class})
public final class IngestMain implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The command line with its error handling: bad input is one line on stderr and exit 2. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new IngestMain());
        // Help wraps at the terminal's width (80 columns when there is none).
        cli.setUsageHelpAutoWidth(true);
        cli.setExecutionExceptionHandler(
                (ex, cmd, parsed) -> {
                    if (ex instanceof IllegalArgumentException
                            || ex instanceof java.io.IOException
                            || ex instanceof java.io.UncheckedIOException) {
                        cmd.getErr()
                                .println("ingest " + cmd.getCommandName() + ": " + ex.getMessage());
                        return 2;
                    }
                    throw ex;
                });
        return cli;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
