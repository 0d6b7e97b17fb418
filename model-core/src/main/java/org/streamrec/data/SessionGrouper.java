package org.streamrec.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Groups events by session id in first-appearance order of the sessions, keeping the order of events within a
 * session. Sources usually write a session's rows contiguously, so the previous session is checked before the
 * map; scattered rows are still grouped correctly. Item ids are shared between events (one String per item),
 * which keeps a million-event dataset at a few tens of megabytes.
 */
final class SessionGrouper {

    private final Map<String, Builder> sessions = new LinkedHashMap<>();
    private final Map<String, String> itemIds = new HashMap<>();
    private Builder last;

    void add(String sessionId, String userId, String itemId, long timestamp, EventType type) {
        Builder builder = last;
        if (builder == null || !builder.sessionId.equals(sessionId)) {
            builder = sessions.computeIfAbsent(sessionId, Builder::new);
            last = builder;
        }
        if (builder.userId == null) {
            builder.userId = userId;
        }
        builder.add(itemIds.computeIfAbsent(itemId, id -> id), timestamp, type);
    }

    List<Session> sessions() {
        List<Session> built = new ArrayList<>(sessions.size());
        for (Builder b : sessions.values()) {
            built.add(b.build());
        }
        return built;
    }

    private static final class Builder {
        final String sessionId;
        String userId;
        final List<String> items = new ArrayList<>(8);
        final List<EventType> types = new ArrayList<>(8);
        long[] times = new long[8];

        Builder(String sessionId) {
            this.sessionId = sessionId;
        }

        void add(String itemId, long timestamp, EventType type) {
            int n = items.size();
            if (n == times.length) {
                times = Arrays.copyOf(times, n * 2);
            }
            times[n] = timestamp;
            items.add(itemId);
            types.add(type);
        }

        Session build() {
            return new Session(sessionId, userId, items, Arrays.copyOf(times, items.size()), types);
        }
    }
}
