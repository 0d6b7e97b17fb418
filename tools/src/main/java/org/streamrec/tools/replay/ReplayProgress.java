package org.streamrec.tools.replay;

/**
 * A snapshot of a running replay.
 *
 * @param eventsSent     valid events handed to the producer
 * @param eventsAcked    valid events the broker acknowledged
 * @param malformedSent  injected malformed records handed to the producer
 * @param failed         records (of either kind) the producer reported as failed
 * @param elapsedNanos   since the replay started
 * @param intervalRate   valid events per second since the previous snapshot
 */
public record ReplayProgress(long eventsSent, long eventsAcked, long malformedSent, long failed, long elapsedNanos,
                             double intervalRate) {

    public double elapsedSeconds() {
        return elapsedNanos / 1e9;
    }

    public double averageRate() {
        return elapsedNanos == 0 ? 0 : eventsSent / elapsedSeconds();
    }

    public String describe() {
        return String.format("%,d events sent (%,d acked, %,d malformed injected, %,d failed) in %.1f s: %,.0f events/s now, %,.0f average",
                eventsSent, eventsAcked, malformedSent, failed, elapsedSeconds(), intervalRate, averageRate());
    }
}
