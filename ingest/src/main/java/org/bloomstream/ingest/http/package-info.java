/**
 * The HTTP feed: scanners that push send crops (raw bytes plus metadata headers, or multipart),
 * authenticated by a bearer token, with size limits and 429 backpressure. Jetty 12 core was chosen
 * over the JDK's {@code com.sun.net.httpserver} for its maintained multipart parser, bounded thread
 * pool and request limits, and over Javalin for not bringing Kotlin and a servlet stack along.
 */
package org.bloomstream.ingest.http;
