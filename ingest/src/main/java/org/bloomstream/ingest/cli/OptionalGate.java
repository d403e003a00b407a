package org.bloomstream.ingest.cli;

import java.io.PrintStream;
import org.apache.kafka.streams.KafkaStreams;
import org.bloomstream.ingest.metrics.IngestMetrics;
import org.bloomstream.schemas.ids.IdRules;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** With {@code --with-gate}, a feed also runs the gate in its JVM. */
public final class OptionalGate {
    @Option(
            names = "--with-gate",
            description =
                    "Also run the ingest gate in this process (default: off; run `ingest"
                            + " gate` separately).")
    boolean withGate;

    @Mixin GateOptions gate;

    public KafkaStreams startIfWanted(KafkaOptions kafka, PrintStream out, IngestMetrics metrics)
            throws Exception {
        return withGate ? gate.start(kafka, out, metrics) : null;
    }

    /** The id rules of the gate's options: a feed checks the same ones first. */
    public IdRules idRules() {
        return gate.config().idRules();
    }
}
