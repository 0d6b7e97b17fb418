package org.streamrec.tools.replay;

import java.time.Instant;

/**
 * What a finished replay did. All counts are exact; {@code eventsAcked + malformedAcked + failed} equals
 * {@code eventsSent + malformedSent} once the producer has been flushed.
 *
 * @param sessions        sessions with at least one event sent
 * @param users           distinct user ids (Kafka keys) among the valid events sent
 * @param firstEventTime  event time of the first valid event sent, null when none
 * @param lastEventTime   event time of the last valid event sent, null when none
 * @param firstFailure    the first send failure, null when none
 */
public record ReplaySummary(String topic, long sessions, long users, long eventsSent, long eventsAcked,
                            long malformedSent, long malformedAcked, long failed, long elapsedNanos,
                            Instant firstEventTime, Instant lastEventTime, String pacing, Exception firstFailure) {

    public boolean complete() {
        return failed == 0 && eventsAcked == eventsSent && malformedAcked == malformedSent;
    }

    public double elapsedSeconds() {
        return elapsedNanos / 1e9;
    }

    public double averageRate() {
        return elapsedNanos == 0 ? 0 : eventsSent / elapsedSeconds();
    }

    public String describe() {
        StringBuilder text = new StringBuilder();
        text.append(String.format("replayed %,d events of %,d sessions (%,d users) to '%s' in %.1f s, %,.0f events/s (%s)",
                eventsSent, sessions, users, topic, elapsedSeconds(), averageRate(), pacing));
        text.append(String.format("%n  acknowledged: %,d events, %,d of %,d injected malformed records; failed: %,d",
                eventsAcked, malformedAcked, malformedSent, failed));
        if (firstEventTime != null) {
            text.append(String.format("%n  event time: %s .. %s", firstEventTime, lastEventTime));
        }
        if (firstFailure != null) {
            text.append(String.format("%n  first failure: %s", firstFailure));
        }
        return text.toString();
    }
}
