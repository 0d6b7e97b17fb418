package org.streamrec.flink.training;

import java.io.Serializable;
import java.util.Map;

/**
 * The trainer operator's part of {@link TrainerConfig}, shipped with the job graph (the config itself is not).
 * Where announcements go is not part of it: the job passes the operator an {@code AnnouncementSink}.
 *
 * @param modelStoreUri    directory URI that receives snapshots ({@code v<version>}, {@code checkpoints/chk-<id>})
 * @param bootstrapUri     snapshot to start from, or null to start from scratch with {@code params}
 * @param params           GRU4Rec parameters (official key names) for a start from scratch
 * @param publishEveryEvents publish when this many events were trained since the last publication ...
 * @param publishEveryMillis ... or when this much time has passed and at least one event was trained
 * @param samplerRefreshEvents rebuild the negative sampler from popularity after this many events
 * @param sessionGapMillis event-time inactivity that ends a session
 * @param retainedCheckpointSnapshots how many {@code checkpoints/chk-<id>} snapshots the store keeps (the newest)
 * @param retainedVersions how many published {@code v<n>} snapshots the store keeps (the newest); 0 keeps all
 */
public record TrainerSettings(String modelStoreUri, String bootstrapUri, Map<String, String> params,
                              long publishEveryEvents, long publishEveryMillis, long samplerRefreshEvents,
                              long sessionGapMillis, int retainedCheckpointSnapshots, int retainedVersions)
        implements Serializable {
}
