package org.bloomstream.job.cli;

import java.nio.file.Path;

/** The repository root (set by the launcher), against which the fixture models resolve. */
public final class BloomstreamHome {
    private BloomstreamHome() {}

    /** {@code -Dbloomstream.home}, or the working directory when it is not set. */
    public static Path path() {
        return Path.of(System.getProperty("bloomstream.home", ".")).toAbsolutePath().normalize();
    }
}
