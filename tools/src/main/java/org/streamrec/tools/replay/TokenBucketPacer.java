package org.streamrec.tools.replay;

/**
 * A fixed rate of events per second with a bounded burst: a token bucket of {@code burst} tokens refilled at
 * {@code rate} tokens per second, starting with one token.
 *
 * <p>Drift-free: the n-th event since the current anchor is due at {@code anchor + n / rate}, computed from the
 * anchor each time rather than by adding intervals, so sleep overshoot and rounding never accumulate; when a sleep
 * overshoots, the next events simply go out sooner. After a stall longer than the bucket holds (a GC pause, a
 * blocked producer), at most {@code burst} events go out at once and the schedule is re-anchored, so the stall is
 * not "paid back" as an unbounded burst.
 *
 * <p>Hand-written rather than Guava's {@code RateLimiter}: Guava is not a dependency of this module (Flink only
 * ships a relocated copy that is not public API), and its stopwatch cannot be injected from outside its package,
 * so its schedule could only be tested against the wall clock.
 */
public final class TokenBucketPacer implements Pacer {

    private static final double NANOS_PER_SECOND = 1e9;

    private final double ratePerSecond;
    private final long burst;
    private final Ticker ticker;
    private boolean started;
    private long anchorNanos;
    private long grantedSinceAnchor;
    private long reanchorings;

    /**
     * @param ratePerSecond events per second, positive
     * @param burst         bucket capacity: how many events may go out back to back after a stall, at least 1
     */
    public TokenBucketPacer(double ratePerSecond, long burst, Ticker ticker) {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("rate must be a positive number of events per second: " + ratePerSecond);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be at least 1: " + burst);
        }
        this.ratePerSecond = ratePerSecond;
        this.burst = burst;
        this.ticker = ticker;
    }

    /** A burst of 100 ms worth of events (at least one): enough to absorb scheduler jitter and short GC pauses. */
    public static long defaultBurst(double ratePerSecond) {
        return Math.max(1, (long) Math.floor(ratePerSecond / 10));
    }

    @Override
    public void awaitTurn(long effectiveTimeMs) throws InterruptedException {
        long now = ticker.nanoTime();
        if (!started) {
            started = true;
            anchor(now);
        }
        long due = dueNanos(grantedSinceAnchor);
        long maxLag = dueNanos(burst - 1) - anchorNanos;
        if (now - due > maxLag) {
            // More tokens would have accrued than the bucket holds: drop the excess.
            reanchorings++;
            anchor(now - maxLag);
            due = anchorNanos;
        }
        grantedSinceAnchor++;
        if (due > now) {
            ticker.sleepNanos(due - now);
        }
    }

    private void anchor(long nanos) {
        anchorNanos = nanos;
        grantedSinceAnchor = 0;
    }

    private long dueNanos(long n) {
        return anchorNanos + Math.round(n * NANOS_PER_SECOND / ratePerSecond);
    }

    /** How often a stall exceeded the bucket and the schedule was moved; 0 when the rate was always kept. */
    public long reanchorings() {
        return reanchorings;
    }

    @Override
    public String describe() {
        return String.format("%,.1f events/s, burst %,d", ratePerSecond, burst);
    }
}
