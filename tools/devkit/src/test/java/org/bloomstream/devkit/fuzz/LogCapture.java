package org.bloomstream.devkit.fuzz;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/**
 * An in-memory log4j2 appender on every configured logger (the project logs through SLF4J to
 * log4j2, and Flink, Kafka and Kafka Streams do too), keeping each event as the line a file
 * appender would write plus its stack trace, so a test can scan everything the run logged.
 */
final class LogCapture extends AbstractAppender implements AutoCloseable {
    private final List<String> lines = new ArrayList<>();
    private final LoggerContext context;

    private LogCapture(LoggerContext context) {
        super("fuzz-log-capture", null, null, true, Property.EMPTY_ARRAY);
        this.context = context;
    }

    /** Attaches to the root and to every logger that does not pass events on to the root. */
    static LogCapture attach() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        LogCapture capture = new LogCapture(ctx);
        capture.start();
        Configuration cfg = ctx.getConfiguration();
        cfg.addAppender(capture);
        for (LoggerConfig lc : cfg.getLoggers().values()) {
            if (lc == cfg.getRootLogger() || !lc.isAdditive()) {
                lc.addAppender(capture, null, null);
            }
        }
        cfg.getRootLogger().addAppender(capture, null, null);
        ctx.updateLoggers();
        return capture;
    }

    @Override
    public void append(LogEvent event) {
        StringBuilder b = new StringBuilder();
        b.append(event.getLevel())
                .append(' ')
                .append(event.getLoggerName())
                .append(" - ")
                .append(event.getMessage().getFormattedMessage());
        if (event.getThrown() != null) {
            StringWriter w = new StringWriter();
            event.getThrown().printStackTrace(new PrintWriter(w));
            b.append('\n').append(w);
        }
        synchronized (lines) {
            lines.add(b.toString());
        }
    }

    /** Everything logged so far. */
    List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    @Override
    public void close() {
        Configuration cfg = context.getConfiguration();
        for (LoggerConfig lc : cfg.getLoggers().values()) {
            lc.removeAppender(getName());
        }
        cfg.getRootLogger().removeAppender(getName());
        context.updateLoggers();
        stop();
    }
}
