package org.bloomstream.faults;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.KeyedStateHandle;

/**
 * Reads what a completed checkpoint really holds, from its {@code _metadata}: the only place that
 * shows which state backend wrote the keyed state. The configuration only says what was asked for,
 * and the files under {@code shared/} are no proof either, since RocksDB's small SST files are
 * inlined in the metadata.
 */
final class CheckpointProbe {
    private static final Pattern CHECKPOINT = Pattern.compile("chk-(\\d+)");

    private CheckpointProbe() {}

    /**
     * The classes of the keyed-state handles in the newest completed checkpoint under {@code root}
     * (Flink's layout: {@code root/<job id>/chk-N/_metadata}). A running job subsumes and deletes
     * old checkpoints and may be writing a new one, so a read that fails is retried on the then
     * newest until {@code timeout}.
     */
    static Set<Class<? extends KeyedStateHandle>> keyedStateHandles(Path root, Duration timeout)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            Optional<Path> metadata = newestMetadata(root);
            if (metadata.isPresent()) {
                try {
                    return handles(metadata.get());
                } catch (IOException e) {
                    last = e; // deleted or still being written: take the next one
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no readable completed checkpoint under " + root, last);
    }

    private static Optional<Path> newestMetadata(Path root) throws IOException {
        try (Stream<Path> dirs = Files.walk(root, 2)) {
            List<Path> found =
                    dirs.filter(d -> CHECKPOINT.matcher(d.getFileName().toString()).matches())
                            .filter(d -> Files.isRegularFile(d.resolve("_metadata")))
                            .toList();
            return found.stream()
                    .max(Comparator.comparingLong(CheckpointProbe::number))
                    .map(d -> d.resolve("_metadata"));
        } catch (UncheckedIOException e) {
            return Optional.empty(); // a directory vanished during the walk
        }
    }

    private static long number(Path chk) {
        Matcher m = CHECKPOINT.matcher(chk.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private static Set<Class<? extends KeyedStateHandle>> handles(Path metadata)
            throws IOException {
        CheckpointMetadata m;
        try (DataInputStream in = new DataInputStream(Files.newInputStream(metadata))) {
            m =
                    Checkpoints.loadCheckpointMetadata(
                            in,
                            CheckpointProbe.class.getClassLoader(),
                            metadata.getParent().toString());
        }
        Set<Class<? extends KeyedStateHandle>> types = new HashSet<>();
        for (OperatorState op : m.getOperatorStates()) {
            for (OperatorSubtaskState subtask : op.getStates()) {
                for (KeyedStateHandle h : subtask.getManagedKeyedState()) {
                    types.add(h.getClass());
                }
            }
        }
        return types;
    }
}
