/**
 * The watch-folder feed: scan folders written by a scanner become crops on {@code cells.raw},
 * exactly once across restarts of the adapter together with the gate's dedupe (the argument and its
 * limits are in {@link org.bloomstream.ingest.watch.WatchFolder}).
 */
package org.bloomstream.ingest.watch;
