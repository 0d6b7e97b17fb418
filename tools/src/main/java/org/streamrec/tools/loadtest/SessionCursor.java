package org.streamrec.tools.loadtest;

import java.util.ArrayList;
import java.util.List;
import org.streamrec.data.Session;

/** Hands out the dataset's sessions round-robin, each step at least as many events as it may send. */
final class SessionCursor {
    private final List<Session> sessions;
    private int next;

    SessionCursor(List<Session> sessions) {
        if (sessions.isEmpty()) {
            throw new IllegalArgumentException("no sessions to replay");
        }
        this.sessions = sessions;
    }

    List<Session> next(long events) {
        List<Session> out = new ArrayList<>();
        long total = 0;
        java.util.Set<String> ids = new java.util.HashSet<>();
        while (total < events) {
            Session s = sessions.get(next);
            next = (next + 1) % sessions.size();
            if (!ids.add(s.sessionId())) {
                // Wrapped within one step: a session id twice would give two events one id.
                break;
            }
            out.add(s);
            total += s.length();
        }
        return out;
    }
}
