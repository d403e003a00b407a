package org.bloomstream.ingest.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.bloomstream.ingest.live.LiveAccess;
import org.bloomstream.ingest.live.LiveServer;
import picocli.CommandLine.Option;

/** The lab's live page ({@link LiveServer}) on a port of its own. */
public final class LiveOptions {
    @Option(
            names = "--live-port",
            defaultValue = "0",
            description =
                    "Serve the lab's live page (open specimens, differential, subtype"
                            + " probabilities, alerts, most attended cells) at"
                            + " http://LIVE-BIND:PORT/; 0 for none (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--live-bind",
            defaultValue = "127.0.0.1",
            description =
                    "Interface the live page binds; 0.0.0.0 for all. Before exposing it, give it"
                            + " a token (--live-token-file) and the names it is reached by"
                            + " (--live-allowed-host) (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(
            names = "--live-token-file",
            paramLabel = "FILE",
            description =
                    "File whose first line is the live page's token: browsers open"
                            + " /?token=TOKEN once, scripts send Authorization: Bearer TOKEN."
                            + " The feed's token file may be given here too.")
    Path tokenFile;

    @Option(
            names = "--live-allowed-host",
            paramLabel = "NAME",
            description =
                    "A host name or address the live page is reached by, besides localhost,"
                            + " 127.0.0.1, ::1 and --live-bind (repeatable). Other Host headers"
                            + " get 403 (DNS rebinding).")
    List<String> allowedHosts = List.of();

    @Option(
            names = "--live-lookback",
            defaultValue = "30m",
            converter = DurationConverter.class,
            description =
                    "How far back the live page starts reading the topics when it starts"
                            + " (default: ${DEFAULT-VALUE}).")
    Duration lookback;

    public LiveServer startIfWanted(KafkaOptions kafka, PrintStream out) throws Exception {
        if (port <= 0) {
            return null;
        }
        LiveServer s =
                LiveServer.startWithConsumer(
                        bind,
                        port,
                        kafka.bootstrapServers(),
                        kafka.security(),
                        lookback,
                        LiveAccess.of(bind, token(), Set.copyOf(allowedHosts)));
        out.printf("live page: http://%s:%d/%n", bind, s.port());
        return s;
    }

    private String token() throws IOException {
        if (tokenFile == null) {
            return null;
        }
        return Files.readAllLines(tokenFile, StandardCharsets.UTF_8).stream()
                .findFirst()
                .map(String::trim)
                .orElse(null);
    }
}
