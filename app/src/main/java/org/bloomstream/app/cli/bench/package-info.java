/**
 * The subcommands of {@code bloomstream bench}, one class each. They only parse options and hand
 * them to the benches in {@code tools/bench} ({@code org.bloomstream.bench}), which run the
 * measurements and print the tables; the group itself is {@link
 * org.bloomstream.app.cli.BenchCommand}.
 */
package org.bloomstream.app.cli.bench;
