package org.bloomstream.ingest.cli;

import java.io.PrintStream;
import java.time.Duration;
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
                    "Interface the live page binds; 0.0.0.0 for all. The page has no"
                            + " login: expose it to the lab's network only (default:"
                            + " ${DEFAULT-VALUE}).")
    String bind;

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
                        bind, port, kafka.bootstrapServers(), kafka.security(), lookback);
        out.printf("live page: http://%s:%d/%n", bind, s.port());
        return s;
    }
}
