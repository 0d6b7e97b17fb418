package org.streamrec.flink.serving;

import java.io.Serializable;

/**
 * Loads a model snapshot directory (a Flink FileSystem URI) into a {@link ServingModel}. Shipped with the operator,
 * hence {@link Serializable}; called on the task thread at start-up and for each newer announcement.
 */
@FunctionalInterface
public interface ServingModelLoader extends Serializable {

    /**
     * @param snapshotUri      the snapshot directory
     * @param expectedChecksum the announcement's checksum of the snapshot, or null when there is none (the start-up
     *                         model given by configuration)
     * @param k                recommendation size, i.e. how long the popularity fallback must be
     * @throws Exception       any failure (missing files, checksum mismatch, ...); the operator then keeps its model
     */
    ServingModel load(String snapshotUri, String expectedChecksum, int k) throws Exception;
}
