package org.bloomstream.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The demo command itself, as `./bloomstream demo` runs it, in-process. */
class DemoCommandTest {

    record Run(int exitCode, String stdout, JsonNode summary) {}

    static Run demo(String... args) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            code = new CommandLine(new BloomstreamCli()).execute(args);
        } finally {
            System.setOut(old);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        System.out.print(out);
        List<String> lines = out.lines().toList();
        String last = lines.get(lines.size() - 1);
        assertThat(last).as("the last line is the summary").startsWith("SUMMARY {");
        return new Run(code, out, new ObjectMapper().readTree(last.substring("SUMMARY ".length())));
    }

    static Path sharedData(String name) {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            Path d = p.resolve("shared/data").resolve(name);
            if (Files.isDirectory(d)) {
                return d;
            }
            p = p.getParent();
        }
        return null;
    }

    @Test
    void syntheticDemoAccountsForEveryCellAndAlerts() throws Exception {
        Run r =
                demo(
                        "demo",
                        "--specimens",
                        "5",
                        "--cells",
                        "120",
                        "--rate",
                        "0",
                        "--bad-fraction",
                        "0.02");
        JsonNode s = r.summary();
        for (String key :
                List.of(
                        "cells_in",
                        "cells_classified",
                        "dead_letters",
                        "specimens",
                        "alerts",
                        "reports",
                        "wall_seconds")) {
            assertThat(s.has(key)).as(key).isTrue();
        }
        assertThat(r.exitCode()).isZero();
        assertThat(s.get("cells_in").asLong()).isEqualTo(600);
        assertThat(s.get("cells_classified").asLong() + s.get("dead_letters").asLong())
                .isEqualTo(600);
        assertThat(s.get("alerts").asLong()).isPositive();
        assertThat(s.get("controls_alerted").asLong()).isZero();
        assertThat(s.get("reports").asLong()).isEqualTo(5);
        assertThat(r.stdout()).contains("classified").contains("specimen");
    }

    @Test
    void replaysTheRealBccdCrops() throws Exception {
        Path dir = sharedData("wbc-bccd");
        Assumptions.assumeTrue(
                dir != null, "../shared/data/wbc-bccd is absent: skipping the real-crop demo");
        Run r = demo("demo", "--crops", dir.toString(), "--rate", "0");
        assertThat(r.exitCode()).isZero();
        assertThat(r.summary().get("cells_in").asLong()).isEqualTo(351);
        assertThat(r.summary().get("cells_classified").asLong()).isEqualTo(351);
        assertThat(r.summary().get("dead_letters").asLong()).isZero();
    }

    @Test
    void replaysTheRealJtscCrops() throws Exception {
        Path dir = sharedData("wbc-jtsc");
        Assumptions.assumeTrue(
                dir != null, "../shared/data/wbc-jtsc is absent: skipping the real-crop demo");
        Run r = demo("demo", "--crops", dir.toString(), "--rate", "0");
        assertThat(r.exitCode()).isZero();
        assertThat(r.summary().get("cells_in").asLong()).isEqualTo(300);
        assertThat(r.summary().get("cells_classified").asLong()).isEqualTo(300);
        assertThat(r.summary().get("specimens").asLong()).isEqualTo(1);
    }

    @Test
    void helpListsTheCommandsAndEveryOptionIsDocumented() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        CommandLine cli = new CommandLine(new BloomstreamCli());
        cli.setOut(new java.io.PrintWriter(buf, true));
        assertThat(cli.execute("--help")).isZero();
        String help = buf.toString(StandardCharsets.UTF_8);
        assertThat(help).contains("demo").contains("job").contains("ingest").contains("fixtures");
        assertDocumented(cli);
    }

    /** Every option of every command and sub-command, at any depth, has a description. */
    private static void assertDocumented(CommandLine command) {
        for (CommandLine sub : command.getSubcommands().values()) {
            for (var opt : sub.getCommandSpec().options()) {
                assertThat(String.join(" ", opt.description()))
                        .as(
                                "%s %s has a description",
                                sub.getCommandSpec().qualifiedName(), opt.longestName())
                        .isNotBlank();
            }
            for (var param : sub.getCommandSpec().positionalParameters()) {
                assertThat(String.join(" ", param.description()))
                        .as(
                                "%s %s has a description",
                                sub.getCommandSpec().qualifiedName(), param.paramLabel())
                        .isNotBlank();
            }
            assertDocumented(sub);
        }
    }
}
