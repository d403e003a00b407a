package org.bloomstream.ingest.watch;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.bloomstream.ingest.feed.CropSender;

/**
 * The watch-folder adapter in a JVM of its own, for {@link WatchFolderCrashTest}: it can be killed
 * from outside, or it halts itself (no shutdown hooks, no flushing, like {@code kill -9}) right
 * after the broker acknowledged a batch and before the journal records it, the worst moment.
 *
 * <p>Arguments: bootstrap servers, root, halt-after (crops acknowledged; -1 never), exit when done
 * (true/false). Prints {@code RECORDED <scan> <n>} and {@code FINISHED <scan> <n>} lines.
 */
public final class WatchFolderChild {
    public static final int HALT_CODE = 77;

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        Path root = Path.of(args[1]);
        int haltAfter = Integer.parseInt(args[2]);
        boolean exitWhenDone = Boolean.parseBoolean(args[3]);
        WatchFolder.Options options =
                WatchFolder.Options.defaults(root).withSettle(Duration.ZERO).withBatch(4);
        int[] acknowledged = {0};
        try (CropSender sender = CropSender.connect(bootstrap, 64L << 20)) {
            WatchFolder w =
                    new WatchFolder(
                            options,
                            sender,
                            new WatchFolder.Listener() {
                                @Override
                                public void acknowledged(String scan, List<String> files) {
                                    acknowledged[0] += files.size();
                                    if (haltAfter >= 0 && acknowledged[0] >= haltAfter) {
                                        System.out.println("HALT " + scan + " " + acknowledged[0]);
                                        System.out.flush();
                                        Runtime.getRuntime().halt(HALT_CODE);
                                    }
                                }

                                @Override
                                public void recorded(String scan, int sentInScan) {
                                    System.out.println("RECORDED " + scan + " " + sentInScan);
                                    System.out.flush();
                                }

                                @Override
                                public void finished(String scan, String specimen, int crops) {
                                    System.out.println("FINISHED " + scan + " " + crops);
                                    System.out.flush();
                                }
                            });
            // a slow poll, so an outside kill finds the adapter mid-scan
            w.run(() -> true, Duration.ofMillis(20), exitWhenDone);
        }
    }
}
