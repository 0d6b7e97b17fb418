package org.streamrec.flink.config;

import java.time.Duration;

import org.apache.flink.util.TimeUtils;
import picocli.CommandLine;

/**
 * The one duration syntax of every streamrec command: Flink's ({@link TimeUtils#parseDuration}), the same as in
 * Flink's own {@code config.yaml}. It accepts a number with an optional space and a unit ({@code 500ms},
 * {@code 30 s}, {@code 30 min}, {@code 30m}, {@code 1 h}, {@code 1 d}), an ISO-8601 duration ({@code PT2S}), and a
 * bare number as milliseconds; so both spellings the commands used to accept separately ({@code 30 min} for the jobs,
 * {@code 30m} for the tools) keep working everywhere.
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        try {
            return TimeUtils.parseDuration(value);
        } catch (RuntimeException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration; write e.g. 500ms, 30 s, "
                    + "30m, 30 min, 1 h, 1 d or PT30S (" + e.getMessage() + ")");
        }
    }
}
