package org.bloomstream.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.bloomstream.job.JobConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault-injection suite ({@link FaultRun}). The short form runs in every build; the long form
 * (50 specimens x 500 cells, 16 faults) on demand:
 *
 * <pre>
 * mvn -B -o -pl tools/bench -am test -Dgroups=faults-long -Dtest=FaultInjectionTest -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * or {@code ./bloomstream faults --specimens 50 --cells 500 --faults 16}.
 */
class FaultInjectionTest {

    static JobConfig config(String bootstrap) {
        return FaultRun.job(
                bootstrap,
                Path.of(System.getProperty("bloomstream.home", "..")).toAbsolutePath().normalize());
    }

    static FaultRun.Result run(
            Path dir, int specimens, int cells, int faults, double rate, Duration timeout)
            throws Exception {
        FaultRun.Result r =
                new FaultRun(
                                new FaultRun.Options(
                                        Long.getLong("faults.seed", 7),
                                        specimens,
                                        cells,
                                        0.02,
                                        faults,
                                        rate,
                                        dir,
                                        timeout,
                                        FaultInjectionTest::config,
                                        Boolean.getBoolean("faults.unaligned")),
                                System.out)
                        .run();
        System.out.println(r.summaryLine());
        return r;
    }

    @Test
    void shortFormExactlyOnceThroughEveryKindOfFault(@TempDir Path dir) throws Exception {
        FaultRun.Result r = run(dir, 10, 100, 4, 60, Duration.ofMinutes(4));
        assertThat(r.problems()).isEmpty();
        assertThat(r.byKind()).containsOnlyKeys(FaultRun.Kind.values());
        assertThat(r.cellsOut()).isEqualTo(r.cellsIn()).isEqualTo(1000);
    }

    @Test
    @Tag("faults-long")
    void longForm(@TempDir Path dir) throws Exception {
        FaultRun.Result r =
                run(
                        dir,
                        Integer.getInteger("faults.specimens", 50),
                        Integer.getInteger("faults.cells", 500),
                        Integer.getInteger("faults.count", 16),
                        Double.parseDouble(System.getProperty("faults.rate", "150")),
                        Duration.ofMinutes(30));
        assertThat(r.problems()).isEmpty();
        assertThat(r.cellsOut()).isEqualTo(r.cellsIn());
    }
}
