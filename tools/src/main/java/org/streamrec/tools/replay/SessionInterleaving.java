package org.streamrec.tools.replay;

import java.util.ArrayList;
import java.util.List;
import org.streamrec.data.Session;

/**
 * Rewrites dataset times so that a fixed number of sessions are in progress at any moment. Some session files (the
 * SR-GNN preprocessing of diginetica) list events session by session with ordinal times, so a time-ordered replay
 * sends one user's clicks back to back: unlike live traffic, and every event would force the serving job to flush a
 * micro-batch of one. Each session keeps its own order and items; only the interleaving across sessions changes.
 */
public final class SessionInterleaving {

    private SessionInterleaving() {
    }

    /**
     * Click {@code j} of the {@code i}-th session gets time {@code i + j * concurrent}, so the replay's time-ordered
     * merge sends the sessions {@code concurrent} at a time, each click {@code concurrent} time units after the
     * session's previous one (keep that below the session gap on the replay clock: with the ordinal clock's 1 s step
     * and a 30 min gap, {@code concurrent} must stay under 1,800). {@code concurrent <= 1} keeps the input as it is.
     */
    public static List<Session> interleaved(List<Session> sessions, int concurrent) {
        if (concurrent <= 1) {
            return sessions;
        }
        List<Session> out = new ArrayList<>(sessions.size());
        for (int i = 0; i < sessions.size(); i++) {
            Session s = sessions.get(i);
            long[] times = new long[s.length()];
            for (int j = 0; j < times.length; j++) {
                times[j] = i + (long) j * concurrent;
            }
            out.add(new Session(s.sessionId(), s.userId(), s.itemIds(), times, s.types()));
        }
        return out;
    }
}
