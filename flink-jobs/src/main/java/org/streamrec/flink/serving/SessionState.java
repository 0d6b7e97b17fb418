package org.streamrec.flink.serving;

/**
 * Per-user keyed state of the serving operator. A Flink POJO (public no-arg constructor, public fields, arrays
 * rather than collections) so RocksDB stores it with the POJO serializer, not Kryo, and fields can be added later
 * with Flink's POJO schema evolution.
 */
public class SessionState {

    /** Session id written on recommendations: the producer's, or {@code userId@firstEventTime} when it has none. */
    public String sessionId;
    /** The producer's session id, null when the producer sends none; a change starts a new session. */
    public String producerSessionId;
    /** Most recent item ids of the session, oldest first, known or not; bounded by the configured maximum. */
    public String[] items;
    /** GRU hidden vector after the known items in {@link #items}; null while no known item has been seen. */
    public float[] hidden;
    /** Model version that computed {@link #hidden}; another version recomputes it from {@link #items}. */
    public long modelVersion;
    /** Latest event time of the session (epoch ms); the session ends at this plus the gap. */
    public long lastEventTime;
    /**
     * Due time of the earliest session-gap timer registered for the user (epoch ms, at most the session's end), 0 when
     * none is known (a state restored from before this field existed).
     */
    public long sessionTimer;
    /**
     * Item ids last recommended in this session, best first, for the prequential check of the session's next event;
     * null before the first answer. Kept here rather than in a state of its own: one state read and write per event.
     */
    public String[] lastRecommended;

    public SessionState() {
    }
}
