package org.streamrec.flink.model;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;

import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.model.ModelSnapshot;

/**
 * Builds the {@link ModelAnnouncement} of a stored snapshot: the one place that says what an announcement carries,
 * for the trainer job and the {@code announce-model} tool alike. {@link AnnouncementSink} sends it.
 */
public final class ModelAnnouncements {

    private ModelAnnouncements() {
    }

    /**
     * The announcement of {@code snapshot}, created at {@code createdTime}, with {@code metrics} minus the ones that
     * are not finite (Avro would carry them, but a NaN loss of a model that has not trained yet says nothing).
     */
    public static ModelAnnouncement of(StoredSnapshot snapshot, Instant createdTime, Map<String, Double> metrics) {
        Map<String, Double> finite = new HashMap<>();
        metrics.forEach((k, v) -> {
            if (v != null && Double.isFinite(v)) {
                finite.put(k, v);
            }
        });
        return ModelAnnouncement.newBuilder()
                .setVersion(snapshot.version())
                .setParentVersion(snapshot.parentVersion())
                .setSnapshotUri(snapshot.uri())
                .setChecksum(snapshot.checksum())
                .setItemCount(snapshot.itemCount())
                .setTrainingEventsSeen(snapshot.eventsSeen())
                .setCreatedTime(createdTime)
                .setMetrics(finite)
                .build();
    }

    /**
     * The announcement of the snapshot in the local directory {@code dir}, to be loaded from {@code uri}, created
     * when its manifest says (now if the manifest has no readable time), without metrics.
     */
    public static ModelAnnouncement ofDirectory(Path dir, String uri) throws IOException {
        ModelSnapshot.Manifest manifest = ModelSnapshot.readManifest(dir);
        Instant created;
        try {
            created = Instant.parse(manifest.createdAt());
        } catch (DateTimeParseException | NullPointerException e) {
            created = Instant.now();
        }
        return of(StoredSnapshot.of(uri, ModelSnapshot.checksum(dir), manifest), created, Map.of());
    }
}
