package org.streamrec.tools.replay;

import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import org.streamrec.data.Session;

/**
 * Interleaves the events of many sessions into one stream in time order, the way they would have arrived live,
 * while each session keeps its own order.
 *
 * <p>A k-way merge: the queue holds only the next event of each session, so a session's events can never
 * overtake one another, whatever their timestamps say. The merge key of an event is the latest time seen so far
 * in its session ("effective time"), so that a timestamp going backwards inside a session cannot pull that
 * session's remaining events ahead of other sessions, and the effective times of the output never decrease
 * (which the event-time pacer relies on). Ties go to the session that comes first in the given list, then the
 * order is fully deterministic.
 *
 * <p>Memory: one queue entry per unfinished session.
 */
public final class TimeOrderedEvents implements Iterator<SessionEvent> {

    private static final Comparator<Cursor> ORDER = Comparator.comparingLong((Cursor c) -> c.effectiveTime)
            .thenComparingInt(c -> c.sessionIndex);

    private final PriorityQueue<Cursor> heads;
    private long lastEffectiveTime = Long.MIN_VALUE;

    /** @param sessions the sessions to merge; their list index is the tie-breaker */
    public TimeOrderedEvents(List<Session> sessions) {
        heads = new PriorityQueue<>(Math.max(1, sessions.size()), ORDER);
        for (int i = 0; i < sessions.size(); i++) {
            Session session = sessions.get(i);
            if (session.length() > 0) {
                heads.add(new Cursor(session, i, session.timestamps()[0]));
            }
        }
    }

    @Override
    public boolean hasNext() {
        return !heads.isEmpty();
    }

    @Override
    public SessionEvent next() {
        Cursor head = heads.poll();
        if (head == null) {
            throw new NoSuchElementException();
        }
        SessionEvent event = new SessionEvent(head.session, head.sessionIndex, head.position);
        lastEffectiveTime = head.effectiveTime;
        if (head.position + 1 < head.session.length()) {
            head.position++;
            head.effectiveTime = Math.max(head.effectiveTime, head.session.timestamps()[head.position]);
            heads.add(head);
        }
        return event;
    }

    /**
     * The merge key of the event last returned by {@link #next()}: its session's latest time so far, never less
     * than that of any event returned before it.
     */
    public long lastEffectiveTime() {
        return lastEffectiveTime;
    }

    private static final class Cursor {
        final Session session;
        final int sessionIndex;
        int position;
        long effectiveTime;

        Cursor(Session session, int sessionIndex, long effectiveTime) {
            this.session = session;
            this.sessionIndex = sessionIndex;
            this.effectiveTime = effectiveTime;
        }
    }
}
