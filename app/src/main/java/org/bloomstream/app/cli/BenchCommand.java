package org.bloomstream.app.cli;

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
            BenchCommand.All.class,
            BenchCommand.Plumbing.class,
            BenchCommand.Embed.class,
            BenchCommand.Knn.class,
            BenchCommand.Mil.class,
            BenchCommand.Soak.class
        })
final class BenchCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
