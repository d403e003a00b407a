package org.bloomstream.app.cli;

import java.nio.file.Path;
import org.bloomstream.job.cli.BloomstreamHome;
import org.bloomstream.job.cli.JobCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code bloomstream} command line. */
@Command(
        name = "bloomstream",
        mixinStandardHelpOptions = true,
        version = "bloomstream 0.1.0",
        description = {
            "Streaming white-blood-cell classification and AML subtype alerts: "
                    + "DinoBloom embeddings on ONNX Runtime, a Flink job, Kafka topics."
        },
        subcommands = {
            DemoCommand.class,
            JobCommand.class,
            EmbedCommand.class,
            SynthCommand.class,
            FitHeadCommand.class,
            EvaluateCommand.class,
            BatchEffectsCommand.class,
            BenchCommand.class,
            FuzzCommand.class,
            IngestWithToolsCommand.class,
            FixturesCommand.class,
            FaultsCommand.class,
            CommandLine.HelpCommand.class
        })
public final class BloomstreamCli implements Runnable {
    static {
        // DJL sends a telemetry request at engine start unless both are set; no network here.
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        System.setProperty("java.awt.headless", "true");
    }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * The CLI with its error handling: a bad option value or an unreadable input file is the user's
     * to fix, so it is one line on stderr and exit code 2, not a stack trace.
     */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new BloomstreamCli());
        // Help wraps at the terminal's width (80 columns when there is none): descriptions are
        // paragraphs, never hand-wrapped lines, so they read well at any width.
        cli.setUsageHelpAutoWidth(true);
        cli.setExecutionExceptionHandler(
                (ex, cmd, parsed) -> {
                    if (ex instanceof IllegalArgumentException
                            || ex instanceof java.io.IOException
                            || ex instanceof java.io.UncheckedIOException) {
                        cmd.getErr()
                                .println(
                                        "bloomstream "
                                                + cmd.getCommandName()
                                                + ": "
                                                + ex.getMessage());
                        return 2;
                    }
                    throw ex;
                });
        return cli;
    }

    /** The repository root (set by the launcher), against which the fixture models resolve. */
    static Path home() {
        return BloomstreamHome.path();
    }

    public static void main(String[] args) {
        // Kafka's test kit ships a log4j2.yaml that would win over ours; name ours explicitly
        // (the launcher does too). Here rather than in a static block, so tests keep theirs.
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "classpath:bloomstream-log4j2.xml");
        }
        int code = commandLine().execute(args);
        System.exit(code);
    }
}
