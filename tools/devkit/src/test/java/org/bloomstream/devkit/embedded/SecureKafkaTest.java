package org.bloomstream.devkit.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.bloomstream.devkit.demo.OutputTally;
import org.bloomstream.devkit.feed.Emission;
import org.bloomstream.devkit.feed.FeedProducer;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.embedded.kafka.SaslSslListener;
import org.bloomstream.job.Pseudonyms;
import org.bloomstream.schemas.Topics;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.kafka.ClientSettings;
import org.bloomstream.schemas.kafka.KafkaSecurity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Kafka client of the system on a SASL_SSL listener with SCRAM-SHA-512 and a self-signed
 * certificate generated in the test: the runtime's admin client, the gate (Kafka Streams), the
 * feed's producer, the Flink job's sources and sinks and the read-back consumer. The broker's only
 * client listener is the secure one ({@link EmbeddedKafka#bootstrapServers()}). The job also
 * pseudonymises the ids on {@code cells.classified} and {@code specimens.reports}.
 */
class SecureKafkaTest {

    @Test
    void wholePipelineRunsOverSaslSslWithPseudonymisedOutputs(@TempDir Path dir) throws Exception {
        SaslSslListener listener =
                SaslSslListener.selfSigned(
                        dir.resolve("tls"), "bloomstream", "pw-" + System.nanoTime());
        KafkaSecurity security = listener.clientSecurity();
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Path keyFile = Files.write(dir.resolve("pseudonym.key"), key);
        Pseudonyms pseudonyms =
                Pseudonyms.keyFile(
                        keyFile,
                        Set.of(Topics.CELLS_CLASSIFIED.name(), Topics.SPECIMEN_REPORTS.name()));

        SyntheticScanner scanner =
                new SyntheticScanner(
                        SyntheticScanner.Config.of(5, 2, 40).withStartTime(Instant.now()));
        List<Emission> emissions = scanner.toList();
        Set<String> goodIds = new HashSet<>();
        for (Emission e : emissions) {
            if (e.type() == Emission.Type.CROP) {
                goodIds.add(e.cellId());
            }
        }

        try (EmbeddedRuntime rt =
                EmbeddedRuntime.start(
                        new EmbeddedRuntime.Options(
                                        2,
                                        b ->
                                                TestJobs.fixtureJob(b, "e2e-").toBuilder()
                                                        .kafkaSecurity(security)
                                                        .pseudonyms(pseudonyms)
                                                        .build(),
                                        false,
                                        dir.resolve("rt"))
                                .withBroker(Map.of(), listener))) {
            String bootstrap = rt.bootstrapServers();

            // The listener really demands the credentials: a wrong password is refused.
            KafkaSecurity wrong =
                    KafkaSecurity.builder()
                            .protocol("SASL_SSL")
                            .sasl(SaslSslListener.MECHANISM, "bloomstream", "not-the-password")
                            .truststore(listener.truststore(), listener.storePassword(), "PKCS12")
                            .build();
            try (Admin admin = Admin.create(ClientSettings.admin(bootstrap, wrong))) {
                assertThatThrownBy(() -> admin.describeCluster().nodes().get(60, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(SaslAuthenticationException.class);
            }

            try (OutputTally tally = new OutputTally(bootstrap, security);
                    FeedProducer producer = new FeedProducer(bootstrap, security)) {
                long in = producer.send(emissions, 0, null).cropsIn();
                assertThat(in).isEqualTo(80);
                OutputTally.Snapshot s = tally.snapshot();
                long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
                // Poll on everything asserted below: the FHIR bundles come through another sink
                // and another transaction than the reports, so they can lag behind them.
                while (s.classified() + s.deadCrops() < in
                        || s.reports().size() < 2
                        || s.fhirBundles().size() < 2) {
                    assertThat(System.nanoTime())
                            .as(
                                    "%d classified, %d reports, %d FHIR bundles",
                                    s.classified(), s.reports().size(), s.fhirBundles().size())
                            .isLessThan(deadline);
                    rt.checkJobAlive();
                    Thread.sleep(100);
                    s = tally.snapshot();
                }
                assertThat(s.duplicateCells()).isZero();
                // cells.classified carries pseudonyms of exactly the cells sent, never a real id.
                assertThat(s.classifiedIds())
                        .isEqualTo(goodIds.stream().map(pseudonyms::of).collect(Collectors.toSet()))
                        .doesNotContainAnyElementsOf(goodIds);
                Set<String> specimens = scanner.specimens().keySet();
                assertThat(s.reports().keySet())
                        .isEqualTo(
                                specimens.stream().map(pseudonyms::of).collect(Collectors.toSet()));
                for (SpecimenReport r : s.reports().values()) {
                    assertThat(r.getCellCount()).isEqualTo(40);
                    assertThat(r.getScanId()).startsWith("p-");
                    r.getTopAttended()
                            .forEach(
                                    a ->
                                            assertThat(a.getCellIds())
                                                    .allMatch(id -> id.startsWith("p-")));
                }
                // In-lab topics keep the real ids: the FHIR topic was not chosen here.
                assertThat(s.fhirBundles().keySet()).isEqualTo(specimens);
            }
        }
    }
}
