package org.bloomstream.job;

import org.apache.flink.configuration.Configuration;

/**
 * Settings for the local Flink cluster (a MiniCluster) that {@code bloomstream job} starts when it
 * is not submitted to a cluster, and that the embedded runtime starts. Closed by default: every
 * server of it (the REST API and web UI, the blob server, RPC) binds 127.0.0.1, the REST API is
 * read-only and answers only to loopback host names ({@link LocalRestGuard}: Flink's {@code
 * web.cancel.enable} and {@code web.submit.enable}, also set, only hide the web UI's buttons) and
 * sends no CORS wildcard, so a web page in the operator's browser cannot drive or read it either.
 * Flink's defaults are the opposite (all interfaces, {@code web.cancel.enable: true}, {@code
 * Access-Control-Allow-Origin: *}) because a cluster is expected to sit behind its own network
 * policy; a local one on a lab PC has none.
 */
public final class LocalClusterSettings {
    /** The only origin the REST API names in CORS answers: none a foreign page has. */
    static final String CORS_ORIGIN = "http://127.0.0.1";

    private LocalClusterSettings() {}

    /** A configuration with the closed settings. */
    public static Configuration closed() {
        return applyTo(new Configuration());
    }

    /** Sets the closed settings on {@code c} and returns it. */
    public static Configuration applyTo(Configuration c) {
        c.setString("rest.bind-address", "127.0.0.1");
        c.setString("rest.address", "127.0.0.1");
        // the blob server and the RPC endpoints bind the job manager's and task manager's hosts
        c.setString("jobmanager.rpc.address", "127.0.0.1");
        c.setString("jobmanager.bind-host", "127.0.0.1");
        c.setString("taskmanager.bind-host", "127.0.0.1");
        c.setString("taskmanager.host", "127.0.0.1");
        c.setString("web.cancel.enable", "false");
        c.setString("web.submit.enable", "false");
        c.setString("web.rescale.enable", "false");
        c.setString("web.access-control-allow-origin", CORS_ORIGIN);
        // The two flags above only hide the web UI's buttons; this makes the API read-only.
        c.set(LocalRestGuard.ENABLED, true);
        return c;
    }
}
