package org.streamrec.flink.model;

import java.io.IOException;
import java.nio.file.Path;

import org.streamrec.model.ModelSnapshot;

/**
 * A finished snapshot as an announcement describes it: where it is, its checksum ({@link ModelSnapshot#checksum})
 * and the counters of its manifest.
 */
public record StoredSnapshot(String uri, String checksum, long version, long parentVersion, int itemCount,
                             long eventsSeen) {

    public static StoredSnapshot of(String uri, String checksum, ModelSnapshot.Manifest manifest) {
        return new StoredSnapshot(uri, checksum, manifest.version(), manifest.parentVersion(), manifest.itemCount(),
                manifest.eventsSeen());
    }

    /** The snapshot in the local directory {@code dir}, to be loaded from {@code uri}. */
    public static StoredSnapshot read(Path dir, String uri) throws IOException {
        return of(uri, ModelSnapshot.checksum(dir), ModelSnapshot.readManifest(dir));
    }
}
