package org.bloomstream.ingest.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The ingest image's own entry point, without the rest of the CLI. */
class IngestMainTest {
    private static String run(String... args) {
        StringWriter out = new StringWriter();
        CommandLine cli = IngestMain.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(out));
        cli.execute(args);
        return out.toString();
    }

    @Test
    void offersTheServiceCommandsAndNoDevelopmentTools() {
        String help = run("ingest", "--help");
        assertThat(help).contains("gate", "watch", "serve");
        assertThat(help).doesNotContainPattern("(?m)^\\s+(replay|bench)\\b");
    }

    @Test
    void serveRefusesToStartWithoutAToken() {
        CommandLine cli = IngestMain.commandLine();
        cli.setErr(new PrintWriter(new StringWriter()));
        int code =
                cli.execute("ingest", "serve", "--port", "0", "--bootstrap-servers", "127.0.0.1:1");
        assertThat(code).isEqualTo(2);
    }

    @Test
    void durationsReadTheWayPeopleWriteThem() {
        DurationConverter c = new DurationConverter();
        assertThat(c.convert("24h")).isEqualTo(Duration.ofHours(24));
        assertThat(c.convert("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(c.convert("30m")).isEqualTo(Duration.ofMinutes(30));
        assertThat(c.convert("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(c.convert("PT2H")).isEqualTo(Duration.ofHours(2));
        assertThatThrownBy(() -> c.convert("soon"))
                .isInstanceOf(CommandLine.TypeConversionException.class);
    }
}
