package org.bloomstream.app.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.bloomstream.devkit.feed.FeedProducer;
import org.bloomstream.devkit.replay.FolderReplay;
import org.bloomstream.ingest.cli.KafkaOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ingest replay}: a development tool, so it lives in the CLI, not the ingest service. */
@Command(
        name = "replay",
        mixinStandardHelpOptions = true,
        description = {
            "Replays a folder or data set at a given rate, for load tests.",
            "",
            "DIR is a folder with labels.csv (path,label[,group]; one specimen per "
                    + "group) or a folder tree in which every folder holding crops is one "
                    + "specimen (the AML layout <label>/<patient>/image_<n>.tif included). Each "
                    + "pass is tagged into the ids so that repeated runs are not deduped by the "
                    + "gate. Run the gate separately."
        })
final class ReplayCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "The folder or data set.")
    Path dir;

    @Option(
            names = "--rate",
            required = true,
            description = "Crops per second; 0 for as fast as the producer takes them.")
    double rate;

    @Mixin KafkaOptions kafka;

    @Option(
            names = "--repeat",
            defaultValue = "1",
            description =
                    "Passes over the data, each as new specimens (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(
            names = "--run-tag",
            description =
                    "Tag appended to specimen, scan and cell ids as ~TAG; '' keeps the ids"
                            + " as they are (default: a tag made from the time).")
    String runTag;

    @Override
    public Integer call() throws Exception {
        String tag =
                runTag != null
                        ? runTag
                        : "r" + Long.toString(System.currentTimeMillis() / 1000, 36);
        FolderReplay replay = FolderReplay.open(dir, repeat, tag);
        PrintStream out = System.out;
        out.printf(
                Locale.ROOT,
                "replaying %d crops of %d specimens from %s (%s), tag '%s', at %s%n",
                replay.crops(),
                replay.specimens(),
                dir,
                replay.description(),
                tag,
                rate > 0 ? rate + " crops/s" : "full speed");
        AtomicLong sent = new AtomicLong();
        long t0 = System.nanoTime();
        AtomicBoolean done = new AtomicBoolean();
        Thread progress =
                new Thread(
                        () -> {
                            while (!done.get()) {
                                try {
                                    Thread.sleep(2000);
                                } catch (InterruptedException e) {
                                    return;
                                }
                                if (!done.get()) {
                                    report(out, t0, sent.get(), replay.crops());
                                }
                            }
                        },
                        "replay-progress");
        progress.setDaemon(true);
        progress.start();
        FeedProducer.Sent result;
        try (FeedProducer producer = new FeedProducer(kafka.bootstrapServers(), kafka.security())) {
            result = producer.send(replay, rate, FeedProducer.Pace.CROPS, sent::set);
        } finally {
            done.set(true);
            progress.interrupt();
        }
        report(out, t0, result.cropsIn(), replay.crops());
        out.printf(
                "done: %d crops and %d scan events acknowledged%n",
                result.cropsIn(), result.scanEvents());
        return 0;
    }

    private static void report(PrintStream out, long t0, long sent, long total) {
        double s = (System.nanoTime() - t0) / 1e9;
        out.printf(
                Locale.ROOT,
                "[%7.1fs] sent %d/%d crops (%.1f crops/s)%n",
                s,
                sent,
                total,
                sent / Math.max(s, 1e-9));
    }
}
