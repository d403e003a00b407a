package org.bloomstream.devkit.inmemory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.bloomstream.aggregation.fhir.FhirDocument;
import org.bloomstream.devkit.embedded.TestJobs;
import org.bloomstream.devkit.feed.SpecimenProfile;
import org.bloomstream.devkit.synthetic.SyntheticScanner;
import org.bloomstream.job.BloomstreamJob;
import org.bloomstream.job.JobConfig;
import org.bloomstream.schemas.avro.AmlAlert;
import org.bloomstream.schemas.avro.ClassifiedCell;
import org.bloomstream.schemas.avro.CloseReason;
import org.bloomstream.schemas.avro.DeadLetter;
import org.bloomstream.schemas.avro.SpecimenReport;
import org.bloomstream.schemas.avro.SpecimenStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole job on a MiniCluster at parallelism 2, with no broker: the synthetic scanner's
 * specimens go in through bounded in-memory topics (as the gate would have written them), the
 * outputs land in in-memory sinks, and the job ends when its sources do. Specimens close on their
 * scan-finished count, so every report is out by then. The fastest whole-job test; what needs a
 * broker (transactions, offsets, the gate, metrics) stays in {@code EndToEndTest}.
 */
class InMemoryJobTest {
    private static final int SPECIMENS = 5; // one of each subtype and a control
    private static final int CELLS = 100; // enough for the fixture policy (50 cells, 20 stable)
    private static final int PARTITIONS = 4;

    @RegisterExtension static final MiniClusterExtension FLINK = InMemoryJobs.miniCluster();

    @Test
    void everyCellIsClassifiedOnceEverySpecimenReportedAndOnlySubtypesAlert() throws Exception {
        SyntheticScanner scanner =
                new SyntheticScanner(
                        SyntheticScanner.Config.of(13, SPECIMENS, CELLS)
                                .withStartTime(Instant.now()));
        Map<String, SpecimenProfile> truth = scanner.specimens();
        List<String> sent = new ArrayList<>();
        InMemoryJobs.Inputs in =
                InMemoryJobs.Inputs.of(
                        scanner, PARTITIONS, e -> sent.add(id(e.specimenId(), e.cellId())));
        assertThat(sent).hasSize(SPECIMENS * CELLS);
        assertThat(in.scans().size()).isEqualTo(2 * SPECIMENS);

        try (CollectedOutputs out = new CollectedOutputs()) {
            BloomstreamJob job = in.job(config(), out);
            InMemoryJobs.runToEnd(job, "bloomstream-in-memory", Duration.ofMinutes(3));

            List<ClassifiedCell> classified = out.get("classified");
            List<AmlAlert> alerts = out.get("alerts");
            List<SpecimenReport> reports = out.get("reports");
            List<DeadLetter> deadLetters = out.get("dead");
            List<FhirDocument> fhir = out.get("fhir");
            List<SpecimenStatus> statuses = out.get("status");

            assertThat(classified)
                    .as("every cell classified exactly once")
                    .map(c -> id(c.getSpecimenId(), c.getCellId()))
                    .containsExactlyInAnyOrderElementsOf(sent);
            assertThat(deadLetters).as("good crops are never dead-lettered").isEmpty();

            assertThat(reports)
                    .as("one report per specimen")
                    .map(SpecimenReport::getSpecimenId)
                    .containsExactlyInAnyOrderElementsOf(truth.keySet());
            Map<String, List<AmlAlert>> alertsBySpecimen =
                    alerts.stream().collect(Collectors.groupingBy(AmlAlert::getSpecimenId));
            for (SpecimenReport r : reports) {
                String specimen = r.getSpecimenId();
                assertThat(r.getCloseReason()).as(specimen).isEqualTo(CloseReason.SCAN_FINISHED);
                assertThat(r.getCellCount()).as(specimen).isEqualTo(CELLS);
                assertThat(r.getDeadLetteredCells()).as(specimen).isZero();
                assertThat(r.getCall()).as(specimen).isEqualTo(truth.get(specimen).label());
                assertThat(r.getAlertsRaised())
                        .as("%s reports the alerts it raised", specimen)
                        .containsExactlyInAnyOrderElementsOf(
                                alertsBySpecimen.getOrDefault(specimen, List.of()).stream()
                                        .map(AmlAlert::getAlertId)
                                        .toList());
            }
            assertThat(fhir)
                    .as("every report also went out as a FHIR bundle")
                    .map(d -> d.specimenId)
                    .containsExactlyInAnyOrderElementsOf(truth.keySet());
            assertThat(statuses.stream().map(SpecimenStatus::getSpecimenId).distinct())
                    .containsExactlyInAnyOrderElementsOf(truth.keySet());

            // Alerts for every subtype specimen, the first call (version 1) naming its subtype;
            // none for controls.
            Map<String, String> firstAlert = new LinkedHashMap<>();
            alerts.stream()
                    .filter(a -> a.getVersion() == 1)
                    .forEach(a -> firstAlert.put(a.getSpecimenId(), a.getSubtype()));
            Set<String> subtypeSpecimens =
                    truth.entrySet().stream()
                            .filter(e -> !e.getValue().isControl())
                            .map(Map.Entry::getKey)
                            .collect(Collectors.toSet());
            assertThat(subtypeSpecimens).hasSize(SPECIMENS - 1);
            assertThat(firstAlert.keySet()).isEqualTo(subtypeSpecimens);
            firstAlert.forEach(
                    (specimen, subtype) ->
                            assertThat(subtype)
                                    .as(specimen)
                                    .isEqualTo(truth.get(specimen).label()));
            assertThat(alerts).map(AmlAlert::getAlertId).doesNotHaveDuplicates();
        }
    }

    /**
     * The fixture job with timers that cannot fire within the run: the scan events are all read
     * before most crops are embedded, so only the scan-finished count may close a specimen (a
     * bounded job also ends without firing pending processing-time timers).
     */
    private static JobConfig config() {
        // No broker: nothing in the job may reach for one.
        JobConfig fixture = TestJobs.fixtureJob("no-broker.invalid:9", "in-memory-");
        return fixture.toBuilder()
                .alertPolicy(
                        fixture.alertPolicy()
                                .withTimeouts(Duration.ofHours(1), Duration.ofHours(1)))
                .build();
    }

    private static String id(String specimen, String cell) {
        return specimen + "/" + cell;
    }
}
