package org.bloomstream.ingest.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.bloomstream.ingest.feed.CropSender;
import org.bloomstream.ingest.metrics.IngestMetrics;
import org.bloomstream.ingest.watch.WatchFolder;
import org.bloomstream.schemas.LogIds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ingest watch}: the watch-folder feed. */
@Command(
        name = "watch",
        mixinStandardHelpOptions = true,
        description = {
            "Watches DIR for scan folders and produces their crops as they appear.",
            "",
            "Layout: DIR/<scan folder>/<crops>. A scan is complete when its folder "
                    + "holds scan.done (optionally containing the crop count) or manifest.csv. "
                    + "Ids: the folder name, or specimenId/scanId/scannerId/micronsPerPixel "
                    + "from scan.properties. Progress is journalled under --state-dir, so a "
                    + "restarted adapter resumes; with the gate's dedupe each crop is accepted "
                    + "exactly once. Files are never deleted unless --on-finish DELETE."
        })
public final class WatchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "The folder scanners write into.")
    Path dir;

    @Mixin KafkaOptions kafka;

    @Option(
            names = "--state-dir",
            paramLabel = "DIR",
            description = "Where the journals are kept (default: DIR/.bloomstream-watch).")
    Path stateDir;

    @Option(
            names = "--scanner-id",
            description = "Scanner id for scans that name none (default: the folder's name).")
    String scannerId;

    @Option(
            names = "--poll-ms",
            defaultValue = "500",
            description = "Milliseconds between passes over DIR (default: ${DEFAULT-VALUE}).")
    long pollMs;

    @Option(
            names = "--settle-ms",
            defaultValue = "1000",
            description =
                    "A file is taken once unchanged for this long, or at once when its scan"
                            + " is complete; 0 if scanners write then rename (default:"
                            + " ${DEFAULT-VALUE}).")
    long settleMs;

    @Option(
            names = "--batch",
            defaultValue = "32",
            description =
                    "Crops sent before waiting for the broker's acks and journalling them"
                            + " (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(
            names = "--max-crop-bytes",
            defaultValue = "8388608",
            description =
                    "Larger files are dead-lettered (IMAGE_TOO_LARGE, with their path)"
                            + " instead of sent (default: ${DEFAULT-VALUE}).")
    long maxCropBytes;

    @Option(
            names = "--on-finish",
            defaultValue = "KEEP",
            description =
                    "What to do with a scan folder once its scan-finished is acknowledged:"
                            + " ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    WatchFolder.OnFinish onFinish;

    @Option(
            names = "--once",
            description =
                    "Exit when every scan folder present is finished, instead of watching"
                            + " on (default: off).")
    boolean once;

    @Mixin OptionalGate gate;
    @Mixin MetricsOptions metricsOptions;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(dir)) {
            System.err.println("not a directory: " + dir);
            return 2;
        }
        PrintStream out = System.out;
        WatchFolder.Options o =
                WatchFolder.Options.defaults(dir)
                        .withSettle(Duration.ofMillis(settleMs))
                        .withBatch(batch)
                        .withMaxCropBytes(maxCropBytes)
                        .withOnFinish(onFinish);
        if (stateDir != null) {
            o = o.withStateDir(stateDir.toAbsolutePath().normalize());
        }
        if (scannerId != null) {
            o = o.withScannerId(scannerId);
        }
        try (ServiceScope scope = new ServiceScope()) {
            IngestMetrics metrics = scope.add(IngestMetrics.create());
            CropSender sender =
                    scope.add(
                            CropSender.connect(
                                    kafka.bootstrapServers(), 64L << 20, kafka.security()));
            scope.add(gate.startIfWanted(kafka, out, metrics));
            scope.add(metricsOptions.startIfWanted(metrics, out));
            WatchFolder w =
                    new WatchFolder(o, sender, new Progress(out, scope), metrics, gate.idRules());
            out.printf(
                    "watching %s (journal %s, settle %d ms)%n", o.root(), o.stateDir(), settleMs);
            w.run(scope::running, Duration.ofMillis(pollMs), once);
            out.printf("%s done: %d crops sent%n", scope.elapsed(), w.produced());
        }
        return 0;
    }

    /** Progress lines: at most one a second per scan, plus every finish and warning. */
    private static final class Progress implements WatchFolder.Listener {
        private final PrintStream out;
        private final ServiceScope scope;
        private long lastPrint;

        Progress(PrintStream out, ServiceScope scope) {
            this.out = out;
            this.scope = scope;
        }

        @Override
        public void recorded(String scan, int sentInScan) {
            long now = System.nanoTime();
            if (now - lastPrint > 1_000_000_000L) {
                lastPrint = now;
                out.printf(
                        "%s scan %s: %d crops sent%n",
                        scope.elapsed(), LogIds.ref(scan), sentInScan);
            }
        }

        @Override
        public void finished(String scan, String specimen, int n) {
            // ids by reference only: this output is the service's log, and the ids name a
            // patient's sample
            out.printf(
                    "%s scan %s finished: specimen %s, %d crops%n",
                    scope.elapsed(), LogIds.ref(scan), LogIds.ref(specimen), n);
        }

        @Override
        public void warning(String scan, String message) {
            out.printf("%s scan %s: WARNING %s%n", scope.elapsed(), LogIds.ref(scan), message);
        }
    }
}
