package org.streamrec.flink.io;

import java.util.Arrays;

/**
 * Where the recent event times of one subtask's input say "now" is: this subtask's clock plus the median lead (event
 * time minus the clock when the event was decoded) of its last {@value #WINDOW} events. It is the stream time of
 * {@link org.streamrec.avro.codec.ClickEventRules#check(org.streamrec.avro.ClickEvent, java.time.Instant,
 * java.time.Instant)}, so that a clock minutes slow is outvoted by the stream instead of dead-lettering it.
 *
 * <p>A lead rather than a time, so that the estimate moves on with the clock at any traffic rate: at one event a
 * minute the window spans hours, yet its leads still say how far the producers' clocks run ahead of this one.
 * Replays and backlogs have negative leads, which the rules ignore (the clock is the floor of the reference).
 *
 * <p>The median needs a majority: garbage times in fewer than half of the window leave it among the others, so a
 * lone far-future event, or a minority of them, cannot move it. Every event with a time votes, accepted or not:
 * counting only accepted ones, a slow clock that rejects the whole stream would never hear from it. While the window
 * fills, the median (the lower one for an even count) is recomputed on every event, so the first event is judged
 * against its own time and a slow clock costs no rejections at start-up; in those first events a few far-ahead ones
 * can be a majority, which the rules' cap on the stream time bounds.
 *
 * <p>Cost on the hot path: one array write per event; the median (a copy and sort of {@value #WINDOW} longs, a few
 * microseconds) is recomputed every {@value #RECOMPUTE_EVERY} events. Not thread-safe: one per subtask.
 */
final class StreamTimeEstimate {

    static final int WINDOW = 255;
    static final int RECOMPUTE_EVERY = 64;

    private final long[] leads = new long[WINDOW];
    private final long[] sorted = new long[WINDOW];
    private int size;
    private int next;
    private int sinceRecompute;
    private long medianLead;

    /** Counts the time of an event decoded when this subtask's clock read {@code clockMillis}. */
    void observe(long eventTimeMillis, long clockMillis) {
        leads[next] = saturatedAdd(eventTimeMillis, -clockMillis);
        next = next + 1 == WINDOW ? 0 : next + 1;
        if (size < WINDOW) {
            size++;
            recompute();
        } else if (++sinceRecompute == RECOMPUTE_EVERY) {
            recompute();
        }
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The median lead of the window, in milliseconds; 0 while empty. */
    long medianLeadMillis() {
        return medianLead;
    }

    /** The stream time when this subtask's clock reads {@code clockMillis}. */
    long streamTimeMillis(long clockMillis) {
        return saturatedAdd(clockMillis, medianLead);
    }

    private void recompute() {
        System.arraycopy(leads, 0, sorted, 0, size);
        Arrays.sort(sorted, 0, size);
        medianLead = sorted[(size - 1) / 2];
        sinceRecompute = 0;
    }

    /** Microsecond or year-50000 times must not wrap around into the past. */
    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        if (((a ^ sum) & (b ^ sum)) < 0) {
            return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return sum;
    }
}
