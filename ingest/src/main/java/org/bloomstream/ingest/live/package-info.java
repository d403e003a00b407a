/**
 * The live page for the lab: a consumer-backed view of the pipeline's topics ({@link LiveView}, fed
 * by {@link LiveViewConsumer}) and a small Jetty server for the page and its JSON ({@link
 * LiveServer}).
 *
 * <p>Why here, in the ingest module: both processes that serve the page already depend on it (the
 * embedded runtime of {@code bloomstream demo}, and the ingest service, {@code ingest serve
 * --live-port}), and it already has everything the view needs: Jetty 12, the Kafka clients, the
 * topic registry with its serdes and the ImageIO codecs (TwelveMonkeys) that thumbnails are made
 * with. A module of its own would repeat those dependencies for a few hundred lines. The page is
 * plain HTML, CSS and JavaScript in the resources next to these classes: no build step, nothing
 * fetched from elsewhere (its Content-Security-Policy allows only its own origin).
 */
package org.bloomstream.ingest.live;
