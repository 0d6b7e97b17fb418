package org.streamrec.flink.kafka;

import java.time.Duration;

import org.apache.flink.util.TimeUtils;

import picocli.CommandLine;

/**
 * Flink duration syntax, e.g. {@code 5 ms}, {@code 30 min}, {@code 1 d}; a bare number is milliseconds. The duration
 * options of both jobs use it, so they accept what Flink's own {@code config.yaml} does.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        try {
            return TimeUtils.parseDuration(value);
        } catch (RuntimeException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration (e.g. 5 ms, 30 min): " + e.getMessage());
        }
    }
}
