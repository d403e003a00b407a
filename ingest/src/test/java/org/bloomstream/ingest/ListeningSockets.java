package org.bloomstream.ingest;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The TCP sockets this JVM listens on, read from Linux's {@code /proc}: the sockets among this
 * process's file descriptors ({@code /proc/self/fd}) that {@code /proc/net/tcp} and {@code tcp6}
 * list in state LISTEN. It sees every server in the process, also those a library starts without
 * telling us (Flink's blob server, a metric reporter), which is the point: a test can assert that
 * nothing listens beyond loopback. Linux only; {@link #available()} says whether it can look.
 */
public final class ListeningSockets {
    private static final String LISTEN = "0A";

    /** One listening socket. */
    public record Listener(InetAddress address, int port) {
        public boolean loopback() {
            return address.isLoopbackAddress();
        }

        @Override
        public String toString() {
            return address.getHostAddress() + ":" + port;
        }
    }

    private ListeningSockets() {}

    /** Whether this platform has the {@code /proc} files this class reads. */
    public static boolean available() {
        return Files.isDirectory(Path.of("/proc/self/fd"))
                && Files.exists(Path.of("/proc/net/tcp"));
    }

    /** The sockets this JVM listens on now. */
    public static List<Listener> ofThisProcess() throws IOException {
        Set<String> inodes = socketInodes();
        List<Listener> out = new ArrayList<>();
        out.addAll(read(Path.of("/proc/self/net/tcp"), inodes));
        Path tcp6 = Path.of("/proc/self/net/tcp6");
        if (Files.exists(tcp6)) {
            out.addAll(read(tcp6, inodes));
        }
        return out;
    }

    private static Set<String> socketInodes() throws IOException {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    continue; // closed while we looked
                }
                if (target.startsWith("socket:[")) {
                    inodes.add(target.substring(8, target.length() - 1));
                }
            }
        }
        return inodes;
    }

    private static List<Listener> read(Path table, Set<String> inodes) throws IOException {
        List<Listener> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(table);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.trim().split("\\s+");
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            if (f.length < 10 || !LISTEN.equals(f[3]) || !inodes.contains(f[9])) {
                continue;
            }
            String[] local = f[1].split(":");
            out.add(new Listener(address(local[0]), Integer.parseInt(local[1], 16)));
        }
        return out;
    }

    /** The kernel prints each 32-bit word of the address in host (little-endian) byte order. */
    private static InetAddress address(String hex) throws UnknownHostException {
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int b = 0; b < 4; b++) {
                int at = (word * 4 + (3 - b)) * 2;
                bytes[word * 4 + b] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        return InetAddress.getByAddress(bytes);
    }
}
