package org.streamrec.tools.replay;

import org.streamrec.data.Session;

/**
 * One event of a dataset session, as the replay emits it.
 *
 * @param session      the session it belongs to
 * @param sessionIndex the session's index in the replayed slice (start-time order), the tie-breaker of the merge
 * @param position     0-based position of the event within its session
 */
public record SessionEvent(Session session, int sessionIndex, int position) {

    public String itemId() {
        return session.itemIds().get(position);
    }

    /** The dataset's own time value of this event (ms, or an ordinal index for diginetica). */
    public long datasetTime() {
        return session.timestamps()[position];
    }

    public boolean isLastOfSession() {
        return position == session.length() - 1;
    }
}
