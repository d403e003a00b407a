package org.bloomstream.devkit.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.bloomstream.ingest.ListeningSockets;
import org.bloomstream.ingest.RawHttp;
import org.bloomstream.job.LocalClusterSettings;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, defect 6, on a running cluster rather than its settings: the local Flink cluster that
 * {@code bloomstream job} starts ({@code createLocalEnvironment(LocalClusterSettings.closed())}, as
 * {@code JobCommand} does) listens on loopback only, and its REST API neither cancels jobs nor
 * answers a foreign page's CORS request. With Flink's defaults the same check finds the REST API
 * and the blob server on every interface.
 */
class LocalClusterBindingTest {
    @Test
    void theLocalClusterListensOnLoopbackOnlyAndCannotBeDrivenFromAWebPage() throws Exception {
        assumeTrue(ListeningSockets.available(), "needs Linux's /proc to list sockets");
        List<ListeningSockets.Listener> before = ListeningSockets.ofThisProcess();
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(LocalClusterSettings.closed());
        // A job that runs until cancelled, so the cluster stays up while we look at it.
        env.fromSequence(0, Long.MAX_VALUE)
                .filter(new NoneFilter())
                .sinkTo(new org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink<>());
        JobClient job = env.executeAsync("loopback-check");
        try {
            URI rest = awaitRestApi(before);
            List<ListeningSockets.Listener> started =
                    new ArrayList<>(ListeningSockets.ofThisProcess());
            started.removeAll(before);
            assertThat(started)
                    .as("sockets the local cluster listens on")
                    .isNotEmpty()
                    .allMatch(ListeningSockets.Listener::loopback);

            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> config =
                    http.send(
                            HttpRequest.newBuilder(rest.resolve("/config"))
                                    .header("Origin", "http://evil.example")
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(config.headers().firstValue("Access-Control-Allow-Origin"))
                    .isNotEqualTo(java.util.Optional.of("*"))
                    .isNotEqualTo(java.util.Optional.of("http://evil.example"));
            // Flink's web.cancel.enable only hides the UI's button: the guard refuses the call.
            HttpResponse<String> cancel =
                    http.send(
                            HttpRequest.newBuilder(rest.resolve("/jobs/" + job.getJobID()))
                                    .method("PATCH", HttpRequest.BodyPublishers.noBody())
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(cancel.statusCode())
                    .as("cancel through REST: %s", cancel.body())
                    .isEqualTo(403);
            // A DNS-rebinding page reaches loopback under its own host name.
            RawHttp.Answer rebound =
                    RawHttp.exchange(
                            rest.getPort(),
                            RawHttp.utf8(
                                    "GET /jobs/overview HTTP/1.1\r\nHost: evil.example:"
                                            + rest.getPort()),
                            new byte[0]);
            assertThat(rebound.status()).as("foreign Host: %s", rebound.body()).isEqualTo(421);
            assertThat(job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState())
                    .as("the job still runs")
                    .isFalse();
        } finally {
            job.cancel().get(60, TimeUnit.SECONDS);
        }
    }

    /** Polls the new listeners for the one that answers Flink's {@code /config}. */
    private static URI awaitRestApi(List<ListeningSockets.Listener> before) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            for (ListeningSockets.Listener l : ListeningSockets.ofThisProcess()) {
                if (before.contains(l)) {
                    continue;
                }
                URI uri = URI.create("http://127.0.0.1:" + l.port());
                try {
                    HttpResponse<String> r =
                            http.send(
                                    HttpRequest.newBuilder(uri.resolve("/config"))
                                            .timeout(Duration.ofSeconds(2))
                                            .build(),
                                    HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200 && r.body().contains("flink-version")) {
                        return uri;
                    }
                } catch (java.io.IOException e) {
                    // not an HTTP server (blob server, RPC): try the next one
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the local cluster's REST API did not come up in 120 s");
    }

    /** Drops everything: the job only has to keep running. */
    private static final class NoneFilter implements FilterFunction<Long> {
        @Override
        public boolean filter(Long value) {
            return false;
        }
    }
}
