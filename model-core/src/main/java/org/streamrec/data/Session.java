package org.streamrec.data;

import java.util.List;
import java.util.Objects;

/**
 * One session's events in time order.
 *
 * @param sessionId  the dataset's session id (for MovieLens: the user id)
 * @param userId     the user, or null when the source has none (diginetica {@code NA})
 * @param itemIds    external item ids, in time order
 * @param timestamps event times, same length as {@code itemIds}; milliseconds since the epoch, except for
 *                   diginetica whose source has only an ordinal event index (see its README)
 * @param types      event types, same length as {@code itemIds}
 */
public record Session(String sessionId, String userId, List<String> itemIds, long[] timestamps, List<EventType> types) {

    public Session {
        Objects.requireNonNull(sessionId, "sessionId");
        itemIds = List.copyOf(itemIds);
        types = List.copyOf(types);
        if (timestamps.length != itemIds.size() || types.size() != itemIds.size()) {
            throw new IllegalArgumentException("session " + sessionId + ": items, timestamps and types differ in length");
        }
    }

    public int length() {
        return itemIds.size();
    }

    public long startTime() {
        return timestamps.length == 0 ? Long.MIN_VALUE : timestamps[0];
    }
}
