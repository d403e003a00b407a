package org.bloomstream.app.cli;

import org.bloomstream.app.cli.bench.BenchAllCommand;
import org.bloomstream.app.cli.bench.BenchEmbedCommand;
import org.bloomstream.app.cli.bench.BenchGpuCommand;
import org.bloomstream.app.cli.bench.BenchKnnCommand;
import org.bloomstream.app.cli.bench.BenchMilCommand;
import org.bloomstream.app.cli.bench.BenchPlumbingCommand;
import org.bloomstream.app.cli.bench.BenchSoakCommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code bloomstream bench}: benchmarks for an otherwise idle machine. Only the group; each
 * subcommand is its own class in {@link org.bloomstream.app.cli.bench}, listed here in the order
 * {@code bench --help} shows them.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = "Benchmarks that print their figures; run them on an otherwise idle machine.",
        subcommands = {
            BenchAllCommand.class,
            BenchPlumbingCommand.class,
            BenchEmbedCommand.class,
            BenchGpuCommand.class,
            BenchKnnCommand.class,
            BenchMilCommand.class,
            BenchSoakCommand.class
        })
final class BenchCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
