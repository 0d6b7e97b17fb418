package org.streamrec.tools.replay;

import java.time.Instant;
import java.util.Objects;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.data.Session;

/**
 * Builds the Avro {@link ClickEvent} of a dataset event.
 *
 * <ul>
 *   <li>{@code eventId} = {@code <dataset>-<session id>-<0-based position>}: deterministic, so a replay can be
 *       checked against its input, and unique within a dataset because session ids are;</li>
 *   <li>{@code userId} = the dataset's user; sessions without one (rsc15, diginetica's {@code NA}) get
 *       {@code <dataset>-s<session id>}, so each anonymous session is its own user and a key of its own;</li>
 *   <li>{@code sessionId} = the dataset's session id; {@code eventType} as read;</li>
 *   <li>{@code eventTime} = the dataset time through a {@link ReplayClock}.</li>
 * </ul>
 */
public final class ClickEventFactory {

    private final String datasetName;
    private final ReplayClock clock;

    public ClickEventFactory(String datasetName, ReplayClock clock) {
        if (datasetName == null || datasetName.isBlank()) {
            throw new IllegalArgumentException("the dataset name must not be blank");
        }
        this.datasetName = datasetName;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public String datasetName() {
        return datasetName;
    }

    public ClickEvent create(SessionEvent event) {
        Session session = event.session();
        return ClickEvent.newBuilder()
                .setEventId(eventId(session, event.position()))
                .setUserId(userId(session))
                .setSessionId(session.sessionId())
                .setItemId(event.itemId())
                .setEventType(EventType.valueOf(session.types().get(event.position()).name()))
                .setEventTime(Instant.ofEpochMilli(clock.toEpochMillis(event.datasetTime())))
                .build();
    }

    public String eventId(Session session, int position) {
        return datasetName + "-" + session.sessionId() + "-" + position;
    }

    public String userId(Session session) {
        return session.userId() != null ? session.userId() : datasetName + "-s" + session.sessionId();
    }
}
