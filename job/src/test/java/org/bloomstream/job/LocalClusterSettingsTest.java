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
        assertThat(LocalClusterSettings.closed().get(LocalRestGuard.ENABLED))
                .as("the read-only guard (the web.* flags only hide UI buttons)")
                .isTrue();
    }

    @Test
    void theGuardAnswersOnlyLoopbackHostNames() {
        assertThat(LocalRestGuard.loopbackHost("127.0.0.1:8081")).isTrue();
        assertThat(LocalRestGuard.loopbackHost("LOCALHOST:8081")).isTrue();
        assertThat(LocalRestGuard.loopbackHost("localhost")).isTrue();
        assertThat(LocalRestGuard.loopbackHost("[::1]:8081")).isTrue();
        assertThat(LocalRestGuard.loopbackHost("evil.example:8081")).isFalse();
        assertThat(LocalRestGuard.loopbackHost("127.0.0.1.evil.example")).isFalse();
        assertThat(LocalRestGuard.loopbackHost("localhost.evil.example:80")).isFalse();
        assertThat(LocalRestGuard.loopbackHost("")).isFalse();
        assertThat(LocalRestGuard.loopbackHost(null)).isFalse();
    }
}
