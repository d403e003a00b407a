package org.bloomstream.inference.typing;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;

/**
 * Loads a head inside a Flink subtask. Shipped with the job graph, so for a file it holds only the
 * path: a kNN head's bank (150 MB for 100k x 384) is read on the task manager, not serialised into
 * the job graph. Like the embedder model, the file must be readable at that path there.
 */
@FunctionalInterface
public interface HeadLoader extends Serializable {
    CellTypeHead load() throws IOException;

    static HeadLoader file(Path file) {
        String path = file.toAbsolutePath().toString();
        return () -> HeadFiles.read(Path.of(path));
    }

    /** An in-memory head (tests, small heads). */
    static HeadLoader of(CellTypeHead head) {
        return () -> head;
    }
}
