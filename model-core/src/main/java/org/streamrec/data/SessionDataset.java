package org.streamrec.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Sessions read from one file, in the order the source gives them, with the reader's report. */
public record SessionDataset(List<Session> sessions, ReadReport report) {

    public SessionDataset {
        sessions = List.copyOf(sessions);
    }

    public long eventCount() {
        long n = 0;
        for (Session s : sessions) {
            n += s.length();
        }
        return n;
    }

    public int sessionCount() {
        return sessions.size();
    }

    public int distinctItemCount() {
        Set<String> items = new HashSet<>();
        for (Session s : sessions) {
            items.addAll(s.itemIds());
        }
        return items.size();
    }

    /** Sessions ordered by their first event's time (stable for ties), as GRU4Rec's session-parallel batching wants. */
    public List<Session> sortedByStartTime() {
        List<Session> sorted = new ArrayList<>(sessions);
        sorted.sort(Comparator.comparingLong(Session::startTime));
        return sorted;
    }
}
