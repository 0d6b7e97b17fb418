package org.streamrec.flink.serving;

import org.streamrec.avro.ModelAnnouncement;

/**
 * A model version and where its snapshot is: what a load needs from an announcement or a pin. The checksum is ""
 * when none is known (the start-up model), never null.
 */
record ModelRef(long version, String uri, String checksum) {

    ModelRef {
        checksum = checksum == null ? "" : checksum;
    }

    static ModelRef of(ModelAnnouncement announcement) {
        return new ModelRef(announcement.getVersion(), announcement.getSnapshotUri(), announcement.getChecksum());
    }

    /** The checksum a loader expects: null when none is known. */
    String expectedChecksum() {
        return checksum.isEmpty() ? null : checksum;
    }
}
