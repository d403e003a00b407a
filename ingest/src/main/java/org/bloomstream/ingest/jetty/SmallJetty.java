package org.bloomstream.ingest.jetty;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A Jetty 12 server sized for light traffic (a scrape every few seconds, one person's browser): 2
 * to 8 threads, one acceptor and one selector. The metrics endpoint and the live page run on it;
 * the crop feed sizes its own.
 */
public final class SmallJetty {
    private SmallJetty() {}

    /**
     * A server, not yet started, with one connector on {@code host:port} (0 for any free port).
     *
     * @param name names the server's threads
     * @return the connector; {@link ServerConnector#getServer()} is the server
     */
    public static ServerConnector create(String name, String host, int port, Handler handler) {
        QueuedThreadPool pool = new QueuedThreadPool(8, 2);
        pool.setName(name);
        Server server = new Server(pool);
        ServerConnector connector = new ServerConnector(server, 1, 1);
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(handler);
        return connector;
    }
}
