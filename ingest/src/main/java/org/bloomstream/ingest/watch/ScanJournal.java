package org.bloomstream.ingest.watch;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The watch folder's progress for one scan folder, on disk: an append-only text file of lines, each
 * fsync'd before the adapter goes on, so what it says survives a crash of the adapter (and, as far
 * as the file system honours fsync, of the machine).
 *
 * <pre>
 * S specimenId scanId scannerId micronsPerPixel   ids fixed, scan-started sent
 * C file                                         crop sent and acknowledged
 * D file                                         crop too large, dead letter sent instead
 * F count                                        scan-finished sent with this count
 * </pre>
 *
 * Fields are URL-encoded and tab-separated. A crash in the middle of an append leaves a last line
 * without its newline; it is ignored and cut off when the journal is opened again, so the records
 * it named are simply sent again (and deduped by the gate).
 */
final class ScanJournal {
    /** The ids a scan's records carry, fixed when its first record is sent. */
    record Ids(String specimenId, String scanId, String scannerId, Double micronsPerPixel) {}

    private final Path file;
    private Ids ids;
    private final Set<String> sent = new LinkedHashSet<>();
    private Integer finishedCount;

    private ScanJournal(Path file) {
        this.file = file;
    }

    /** Opens (reads) the journal at {@code file}, or an empty one if it does not exist. */
    static ScanJournal open(Path file) throws IOException {
        ScanJournal j = new ScanJournal(file);
        if (!Files.exists(file)) {
            return j;
        }
        byte[] bytes = Files.readAllBytes(file);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') {
            end--;
        }
        if (end < bytes.length) {
            // a torn last append: forget it, and cut it off so the next append starts clean
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(end);
                ch.force(true);
            }
        }
        String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", -1);
            switch (f[0]) {
                case "S" ->
                        j.ids =
                                new Ids(
                                        dec(f[1]),
                                        dec(f[2]),
                                        dec(f[3]),
                                        f[4].isEmpty() ? null : Double.valueOf(f[4]));
                case "C", "D" -> j.sent.add(dec(f[1]));
                case "F" -> j.finishedCount = Integer.valueOf(f[1]);
                default -> throw new IOException(file + ": unknown journal line '" + line + "'");
            }
        }
        return j;
    }

    Ids ids() {
        return ids;
    }

    boolean wasSent(String fileName) {
        return sent.contains(fileName);
    }

    int sentCount() {
        return sent.size();
    }

    boolean finished() {
        return finishedCount != null;
    }

    Integer finishedCount() {
        return finishedCount;
    }

    /** Records, durably, that scan-started went out with these ids. */
    void recordStarted(Ids ids) throws IOException {
        append(
                List.of(
                        String.join(
                                "\t",
                                "S",
                                enc(ids.specimenId()),
                                enc(ids.scanId()),
                                enc(ids.scannerId()),
                                ids.micronsPerPixel() == null
                                        ? ""
                                        : ids.micronsPerPixel().toString())));
        this.ids = ids;
    }

    /** Records, durably, crops that were acknowledged (or dead-lettered: {@code deadLettered}). */
    void recordSent(List<String> files, Set<String> deadLettered) throws IOException {
        List<String> lines = new ArrayList<>(files.size());
        for (String f : files) {
            lines.add((deadLettered.contains(f) ? "D\t" : "C\t") + enc(f));
        }
        append(lines);
        sent.addAll(files);
    }

    void recordFinished(int count) throws IOException {
        append(List.of("F\t" + count));
        finishedCount = count;
    }

    private void append(List<String> lines) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String l : lines) {
            sb.append(l).append('\n');
        }
        Files.createDirectories(file.getParent());
        try (FileChannel ch =
                FileChannel.open(
                        file,
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND)) {
            ByteBuffer buf = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String dec(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }
}
