package org.bloomstream.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.bloomstream.ingest.cli.IngestMain;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * Every command's {@code --help}, of {@code bloomstream} and of the ingest image's {@code
 * bloomstream-ingest}, reads well at 80 and at 120 columns: no line is longer than the terminal,
 * every command's summary (its first description paragraph, the line the parent's command list
 * shows) is one complete sentence, and no paragraph breaks off in a short fragment (a sign of
 * descriptions hand-wrapped at some other width, which picocli wraps again).
 */
class HelpTextTest {
    /** A sentence end inside the summary: a period, then a space and a capital. */
    private static final Pattern SECOND_SENTENCE = Pattern.compile("[.!?] +[A-Z]");

    @ParameterizedTest
    @ValueSource(ints = {80, 120})
    void everyCommandsHelpFitsTheWidthAndReadsInSentences(int width) {
        List<String> problems = new ArrayList<>();
        for (CommandLine root : List.of(BloomstreamCli.commandLine(), IngestMain.commandLine())) {
            walk(root, c -> check(c, width, problems));
        }
        assertThat(problems).as("help texts at %d columns", width).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {80, 120})
    void theCommandListShowsEachSummaryWhole(int width) {
        CommandLine root = BloomstreamCli.commandLine();
        at(root, width);
        String usage = root.getUsageMessage();
        for (CommandLine sub : root.getSubcommands().values()) {
            String summary = summary(sub.getCommandSpec());
            // The summary, wrapped over however many lines (picocli may break after a hyphen),
            // is all there.
            assertThat(usage.replaceAll("\\s+", ""))
                    .as(
                            "the command list at %d columns shows %s's summary whole",
                            width, sub.getCommandName())
                    .contains(summary.replaceAll("\\s+", ""));
        }
    }

    @org.junit.jupiter.api.Test
    void theCliWrapsAtTheTerminalsWidth() {
        for (CommandLine root : List.of(BloomstreamCli.commandLine(), IngestMain.commandLine())) {
            walk(
                    root,
                    c ->
                            assertThat(c.isUsageHelpAutoWidth())
                                    .as(c.getCommandSpec().qualifiedName())
                                    .isTrue());
        }
    }

    private static void check(CommandLine c, int width, List<String> problems) {
        String name = c.getCommandSpec().qualifiedName();
        at(c, width);
        String usage = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
        List<String> lines = usage.lines().toList();
        for (String line : lines) {
            if (line.length() > width) {
                problems.add(name + ": a line of " + line.length() + " columns: " + line);
            }
        }
        String summary = summary(c.getCommandSpec());
        if (summary.isBlank()) {
            problems.add(name + ": no summary");
        } else {
            if (!Character.isUpperCase(summary.charAt(0)) || !summary.endsWith(".")) {
                problems.add(name + ": the summary is not one complete sentence: " + summary);
            }
            if (SECOND_SENTENCE.matcher(summary).find()) {
                problems.add(name + ": the summary is more than one sentence: " + summary);
            }
        }
        // A fragment: a short line whose paragraph goes on in lower case on the next line, at
        // the same indentation.
        for (int i = 0; i + 1 < lines.size(); i++) {
            String a = lines.get(i);
            String b = lines.get(i + 1);
            if (a.isBlank() || b.isBlank() || indent(a) != indent(b)) {
                continue;
            }
            String t = a.strip();
            if (t.length() < width / 3 && Character.isLowerCase(b.strip().charAt(0))) {
                problems.add(name + ": a paragraph breaks off after \"" + t + "\"");
            }
        }
    }

    private static String summary(CommandLine.Model.CommandSpec spec) {
        String[] header = spec.usageMessage().header();
        if (header.length > 0) {
            return header[0];
        }
        String[] d = spec.usageMessage().description();
        return d.length == 0 ? "" : d[0];
    }

    private static int indent(String s) {
        return s.length() - s.stripLeading().length();
    }

    private static void at(CommandLine c, int width) {
        c.setUsageHelpAutoWidth(false);
        c.setUsageHelpWidth(width);
    }

    private static void walk(CommandLine c, Consumer<CommandLine> visit) {
        visit.accept(c);
        for (CommandLine sub : c.getSubcommands().values()) {
            walk(sub, visit);
        }
    }
}
