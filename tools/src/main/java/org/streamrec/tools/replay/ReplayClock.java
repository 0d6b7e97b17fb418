package org.streamrec.tools.replay;

import java.time.Duration;
import java.time.Instant;
import org.streamrec.data.DatasetFormat;

/**
 * Turns a dataset's time values into event times in epoch milliseconds.
 *
 * <p>Most readers already give milliseconds. The SR-GNN diginetica files only carry an ordinal event index
 * ({@link DatasetFormat#SESSION_TSV_ORDINAL}: 0, 1, 2, ... over train then test), so the replay puts them on a
 * synthetic clock: event index {@code i} happens at {@code syntheticStart + i * ordinalStep}. The default start,
 * 2016-01-01T00:00:00Z, lies in the months the DIGINETICA data came from, and the default step of one second keeps
 * the order and gives the serving job plausible gaps inside a session; neither says anything about real time.
 */
public final class ReplayClock {

    public static final Instant DEFAULT_SYNTHETIC_START = Instant.parse("2016-01-01T00:00:00Z");
    public static final Duration DEFAULT_ORDINAL_STEP = Duration.ofSeconds(1);

    private final boolean ordinal;
    private final long syntheticStartMs;
    private final long ordinalStepMs;
    /** When set, every event happens now (wall clock) whatever its dataset time. */
    private final java.util.function.LongSupplier now;

    private ReplayClock(boolean ordinal, long syntheticStartMs, long ordinalStepMs) {
        this(ordinal, syntheticStartMs, ordinalStepMs, null);
    }

    private ReplayClock(boolean ordinal, long syntheticStartMs, long ordinalStepMs, java.util.function.LongSupplier now) {
        this.ordinal = ordinal;
        this.syntheticStartMs = syntheticStartMs;
        this.ordinalStepMs = ordinalStepMs;
        this.now = now;
    }

    /**
     * Every event's time is the moment it is created ({@code System.currentTimeMillis()}), not its dataset time: the
     * load harness measures latency from event creation to the answer, and the answer carries the event time.
     */
    public static ReplayClock wallClock() {
        return new ReplayClock(false, 0, 1, System::currentTimeMillis);
    }

    /** Dataset times are already epoch milliseconds. */
    public static ReplayClock epochMillis() {
        return new ReplayClock(false, 0, 1);
    }

    /** Dataset times are ordinal indexes: index {@code i} becomes {@code start + i * step}. */
    public static ReplayClock synthetic(Instant start, Duration step) {
        if (step.isNegative() || step.isZero()) {
            throw new IllegalArgumentException("the synthetic clock's step must be positive: " + step);
        }
        return new ReplayClock(true, start.toEpochMilli(), step.toMillis());
    }

    /** The clock a dataset of this format needs. */
    public static ReplayClock forFormat(DatasetFormat format, Instant syntheticStart, Duration ordinalStep) {
        return format == DatasetFormat.SESSION_TSV_ORDINAL ? synthetic(syntheticStart, ordinalStep) : epochMillis();
    }

    public long toEpochMillis(long datasetTime) {
        if (now != null) {
            return now.getAsLong();
        }
        return ordinal ? Math.addExact(syntheticStartMs, Math.multiplyExact(datasetTime, ordinalStepMs)) : datasetTime;
    }

    public boolean isSynthetic() {
        return ordinal;
    }

    @Override
    public String toString() {
        if (now != null) {
            return "wall clock: event time = creation time";
        }
        return ordinal
                ? "synthetic clock: ordinal i -> " + Instant.ofEpochMilli(syntheticStartMs) + " + i x " + ordinalStepMs + " ms"
                : "dataset time in epoch ms";
    }
}
