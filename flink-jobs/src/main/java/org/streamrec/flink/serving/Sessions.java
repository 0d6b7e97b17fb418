package org.streamrec.flink.serving;

import java.util.Arrays;

import org.streamrec.avro.ClickEvent;
import org.streamrec.model.NextItemScorer;

/** How an event changes a user's {@link SessionState}, apart from keyed state and timers (the operator's part). */
final class Sessions {

    private Sessions() {
    }

    /** A new session starts when the producer's session id changes or the event-time gap exceeds {@code gapMs}. */
    static boolean startsNew(SessionState state, ClickEvent event, long time, long gapMs) {
        String producerSession = event.getSessionId();
        if (producerSession != null && !producerSession.equals(state.producerSessionId)) {
            return true;
        }
        return time - state.lastEventTime > gapMs;
    }

    static SessionState start(String user, ClickEvent event, long time, long modelVersion) {
        SessionState s = new SessionState();
        s.producerSessionId = event.getSessionId();
        // Derived from the data, not from a clock or counter, so a replay after a failure issues the same id.
        s.sessionId = s.producerSessionId != null ? s.producerSessionId : user + "@" + time;
        s.items = new String[0];
        s.hidden = null;
        s.modelVersion = modelVersion;
        s.lastEventTime = time;
        return s;
    }

    /** Replays the stored items through {@code model}; called when the state was built by another version. */
    static void recomputeHidden(SessionState state, ServingModel model) {
        NextItemScorer<float[]> scorer = model.scorer();
        float[] hidden = null;
        for (String item : state.items) {
            int row = model.rowOf(item);
            if (row >= 0) {
                if (hidden == null) {
                    hidden = scorer.newSession();
                }
                scorer.step(hidden, row);
            }
        }
        state.hidden = hidden;
        state.modelVersion = model.version();
    }

    static String[] appendBounded(String[] items, String item, int max) {
        int keep = Math.min(items.length, max - 1);
        String[] next = new String[keep + 1];
        System.arraycopy(items, items.length - keep, next, 0, keep);
        next[keep] = item;
        return next;
    }

    /** The rows of the items {@code model} knows, to exclude from the session's recommendations. */
    static int[] knownRows(String[] items, ServingModel model) {
        int[] rows = new int[items.length];
        int n = 0;
        for (String item : items) {
            int row = model.rowOf(item);
            if (row >= 0) {
                rows[n++] = row;
            }
        }
        return Arrays.copyOf(rows, n);
    }
}
