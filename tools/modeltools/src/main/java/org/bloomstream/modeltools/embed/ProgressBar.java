package org.bloomstream.modeltools.embed;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar for long CLI work: redrawn in place on a terminal, a line per 10% when
 * the output is a file or a pipe (CI logs stay readable).
 */
public final class ProgressBar {
    private final PrintStream out;
    private final String label;
    private final long total;
    private final boolean interactive;
    private final long start = System.nanoTime();
    private int lastDecile = -1;
    private long lastDraw;

    public ProgressBar(PrintStream out, String label, long total) {
        this(out, label, total, System.console() != null);
    }

    ProgressBar(PrintStream out, String label, long total, boolean interactive) {
        this.out = out;
        this.label = label;
        this.total = Math.max(total, 1);
        this.interactive = interactive;
    }

    public void update(long done) {
        long now = System.nanoTime();
        int decile = (int) (done * 10 / total);
        if (interactive) {
            if (now - lastDraw < 100_000_000L && done < total) {
                return;
            }
            lastDraw = now;
            out.print("\r" + line(done, now));
            if (done >= total) {
                out.println();
            }
        } else if (decile != lastDecile) {
            lastDecile = decile;
            out.println(line(done, now));
        }
        out.flush();
    }

    String line(long done, long now) {
        int width = 30;
        int filled = (int) (done * width / total);
        double secs = (now - start) / 1e9;
        double rate = secs > 0 ? done / secs : 0;
        long eta = rate > 0 ? Math.round((total - done) / rate) : 0;
        return String.format(
                Locale.ROOT,
                "%s [%s%s] %d/%d  %.1f/s  eta %ds",
                label,
                "#".repeat(filled),
                "-".repeat(width - filled),
                done,
                total,
                rate,
                eta);
    }
}
