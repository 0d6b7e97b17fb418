package org.streamrec.tools.demo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.streamrec.data.Session;
import org.streamrec.tools.replay.ClickEventFactory;
import org.streamrec.tools.replay.SessionEvent;
import org.streamrec.tools.replay.TimeOrderedEvents;

/**
 * The events a replay of {@code sessions} with {@code limit} will send, worked out in advance (the replay order is
 * deterministic), so the demo knows what to expect from the job: which event ids need an answer, and each one's
 * next item in its session.
 */
public record ReplayPlan(List<SessionEvent> events, Set<String> eventIds, Map<String, String> nextItemByEventId,
                         Map<String, String> userByEventId) {

    public static ReplayPlan of(List<Session> sessions, long limit, ClickEventFactory factory) {
        List<SessionEvent> events = new ArrayList<>();
        TimeOrderedEvents order = new TimeOrderedEvents(sessions);
        while (order.hasNext() && events.size() < limit) {
            events.add(order.next());
        }
        Set<String> ids = new HashSet<>();
        Map<String, String> users = new HashMap<>();
        for (SessionEvent e : events) {
            String id = factory.eventId(e.session(), e.position());
            ids.add(id);
            users.put(id, factory.userId(e.session()));
        }
        Map<String, String> next = new HashMap<>();
        for (SessionEvent e : events) {
            if (!e.isLastOfSession() && ids.contains(factory.eventId(e.session(), e.position() + 1))) {
                next.put(factory.eventId(e.session(), e.position()), e.session().itemIds().get(e.position() + 1));
            }
        }
        return new ReplayPlan(List.copyOf(events), Set.copyOf(ids), Map.copyOf(next), Map.copyOf(users));
    }

    public int size() {
        return events.size();
    }
}
