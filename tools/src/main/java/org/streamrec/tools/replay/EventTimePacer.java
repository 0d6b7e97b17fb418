package org.streamrec.tools.replay;

/**
 * Replays the dataset's own timing, sped up: an event whose effective time is {@code t} ms after the first one
 * is due {@code t / speedup} ms after the replay started. The schedule is absolute, so when the producer falls
 * behind it catches up without drifting.
 */
public final class EventTimePacer implements Pacer {

    private static final double NANOS_PER_MILLI = 1e6;

    private final double speedup;
    private final Ticker ticker;
    private boolean started;
    private long startNanos;
    private long firstEventTimeMs;

    /** @param speedup how many times faster than real time; 1 replays in real time */
    public EventTimePacer(double speedup, Ticker ticker) {
        if (!(speedup > 0) || Double.isInfinite(speedup)) {
            throw new IllegalArgumentException("speedup must be a positive number: " + speedup);
        }
        this.speedup = speedup;
        this.ticker = ticker;
    }

    @Override
    public void awaitTurn(long effectiveTimeMs) throws InterruptedException {
        long now = ticker.nanoTime();
        if (!started) {
            started = true;
            startNanos = now;
            firstEventTimeMs = effectiveTimeMs;
            return;
        }
        long due = startNanos + Math.round((effectiveTimeMs - firstEventTimeMs) * NANOS_PER_MILLI / speedup);
        if (due > now) {
            ticker.sleepNanos(due - now);
        }
    }

    @Override
    public String describe() {
        return String.format("event time x %,.1f", speedup);
    }
}
