package org.streamrec.flink.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.streamrec.avro.ModelAnnouncement;

/**
 * Keeps what was announced in memory, like a topic that outlives the operator instances of one test (a harness
 * closed and restored, or a MiniCluster's deserialized copies): the records live in a static map under this sink's
 * id, so every copy writes to and reads back from the same list.
 */
public final class CollectingAnnouncementSink implements AnnouncementSink {

    private static final long serialVersionUID = 1L;
    private static final Map<String, List<ModelAnnouncement>> SENT = new ConcurrentHashMap<>();

    private final String id = UUID.randomUUID().toString();

    public CollectingAnnouncementSink() {
        SENT.put(id, new CopyOnWriteArrayList<>());
    }

    /** Everything sent so far, in order. */
    public List<ModelAnnouncement> sent() {
        return List.copyOf(SENT.get(id));
    }

    @Override
    public Writer open() {
        List<ModelAnnouncement> sent = SENT.get(id);
        return new Writer() {
            @Override
            public void send(ModelAnnouncement announcement) {
                sent.add(announcement);
            }

            @Override
            public long highestAnnounced() {
                return sent.stream().mapToLong(ModelAnnouncement::getVersion).max().orElse(0);
            }

            @Override
            public void close() {
            }
        };
    }
}
