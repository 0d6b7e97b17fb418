package org.streamrec.flink.serving;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

/**
 * Collects what {@code org.streamrec} loggers write at INFO and above in this JVM (the MiniCluster's tasks too), so
 * tests can check what reaches the logs: that a fault is logged, and that no raw user id is.
 */
public final class LogCapture extends AbstractAppender implements AutoCloseable {

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final LoggerConfig target;

    private LogCapture(LoggerConfig target) {
        super("streamrec-log-capture", null, null, true, Property.EMPTY_ARRAY);
        this.target = target;
    }

    public static LogCapture capture() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        LogCapture capture = new LogCapture(context.getConfiguration().getLoggerConfig("org.streamrec"));
        capture.start();
        capture.target.addAppender(capture, Level.INFO, null);
        context.updateLoggers();
        return capture;
    }

    @Override
    public void append(LogEvent event) {
        StringBuilder line = new StringBuilder().append(event.getLevel()).append(' ').append(event.getLoggerName())
                .append(' ').append(event.getMessage().getFormattedMessage());
        for (Throwable t = event.getThrown(); t != null; t = t.getCause()) {
            line.append(" | ").append(t);
        }
        lines.add(line.toString());
    }

    /** Every line so far: level, logger, message, and the chain of any exception. */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void close() {
        target.removeAppender(getName());
        ((LoggerContext) LogManager.getContext(false)).updateLoggers();
        stop();
    }
}
