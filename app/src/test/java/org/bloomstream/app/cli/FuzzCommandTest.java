package org.bloomstream.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code bloomstream fuzz} is registered and validates its options; the run itself is {@code
 * FuzzRunTest}'s, which drives the same {@code FuzzRun}.
 */
class FuzzCommandTest {
    private record Result(int code, String out, String err) {}

    private static Result run(String... args) {
        CommandLine cli = BloomstreamCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void fuzzIsACommandWithSeedAndCount() {
        Result r = run("fuzz", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("--seed", "--count", "--crops", "fuzz: seed S, N records");
        assertThat(run("--help").out()).contains("fuzz");
    }

    @Test
    void aCountBelowOneIsRefusedWithOneLine() {
        Result r = run("fuzz", "--count", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--count must be at least 1");
    }
}
