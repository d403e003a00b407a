package org.bloomstream.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;

/** Every bench's figures on disk: indented JSON, so a diff between two runs reads line by line. */
public final class BenchJson {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchJson() {}

    /** Writes {@code figures} (maps, lists, numbers and strings) to {@code file}. */
    public static void write(Path file, Object figures) throws IOException {
        JSON.writeValue(file.toFile(), figures);
    }
}
