package org.bloomstream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, defect 6: the local Flink cluster of {@code bloomstream job} listened on every
 * interface with cancel enabled and a CORS wildcard. Its settings now close it.
 */
class LocalClusterSettingsTest {
    @Test
    void theLocalClusterBindsLoopbackAndItsRestApiCannotBeDrivenFromAWebPage() {
        Map<String, String> c = LocalClusterSettings.closed().toMap();
        assertThat(c)
                .containsEntry("rest.bind-address", "127.0.0.1")
                .containsEntry("rest.address", "127.0.0.1")
                .containsEntry("jobmanager.bind-host", "127.0.0.1")
                .containsEntry("taskmanager.bind-host", "127.0.0.1")
                .containsEntry("web.cancel.enable", "false")
                .containsEntry("web.submit.enable", "false")
                .containsEntry("web.rescale.enable", "false");
        assertThat(c.get("web.access-control-allow-origin")).isNotEqualTo("*");
    }
}
