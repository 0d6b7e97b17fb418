package org.streamrec.flink.replay;

import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;

import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;

/**
 * The order in which the replay tool sends a dataset: all sessions interleaved by event time, as live traffic would
 * arrive, while each session's own events keep their order (a k-way merge over per-session cursors, so even a
 * session whose timestamps go backwards is never reordered). Ties on time go to the session listed first, then the
 * earlier position, so the order is deterministic.
 *
 * <p>Events are deterministic too: event id {@code <sessionId>-<position>}, user id the dataset's user or, when it
 * has none (diginetica's {@code NA}), {@code s-<sessionId>}; the producer session id is the dataset's session id.
 * Replaying the same file twice therefore produces the same events, which the serving job's output can be matched
 * against by event id.
 */
public final class ReplayPlan implements Iterator<ClickEvent> {

    private final List<Session> sessions;
    private final long timeOffsetMs;
    private final PriorityQueue<long[]> heads;  // {time, sessionIndex, position}

    /**
     * @param timeOffsetMs added to every event time, e.g. to move a historical log to the present
     */
    public ReplayPlan(SessionDataset dataset, long timeOffsetMs) {
        this.sessions = dataset.sessions();
        this.timeOffsetMs = timeOffsetMs;
        this.heads = new PriorityQueue<>(Math.max(1, sessions.size()), (a, b) -> {
            int c = Long.compare(a[0], b[0]);
            if (c == 0) {
                c = Long.compare(a[1], b[1]);
            }
            return c != 0 ? c : Long.compare(a[2], b[2]);
        });
        for (int s = 0; s < sessions.size(); s++) {
            if (sessions.get(s).length() > 0) {
                heads.add(new long[] {sessions.get(s).timestamps()[0], s, 0});
            }
        }
    }

    /** Earliest event time of the dataset (before the offset), or empty. */
    public static java.util.OptionalLong firstEventTime(SessionDataset dataset) {
        return dataset.sessions().stream().filter(s -> s.length() > 0)
                .mapToLong(s -> s.timestamps()[0]).min();
    }

    @Override
    public boolean hasNext() {
        return !heads.isEmpty();
    }

    @Override
    public ClickEvent next() {
        long[] head = heads.poll();
        if (head == null) {
            throw new NoSuchElementException();
        }
        Session session = sessions.get((int) head[1]);
        int position = (int) head[2];
        if (position + 1 < session.length()) {
            heads.add(new long[] {session.timestamps()[position + 1], head[1], position + 1});
        }
        return ClickEvent.newBuilder()
                .setEventId(session.sessionId() + "-" + position)
                .setUserId(session.userId() != null ? session.userId() : "s-" + session.sessionId())
                .setSessionId(session.sessionId())
                .setItemId(session.itemIds().get(position))
                .setEventType(EventType.valueOf(session.types().get(position).name()))
                .setEventTime(Instant.ofEpochMilli(head[0] + timeOffsetMs))
                .build();
    }
}
