package org.streamrec.flink.serving;

import java.io.IOException;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamrec.flink.model.SnapshotStore;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.ModelSnapshot;

/**
 * Loads a GRU4Rec snapshot directory written by {@link ModelSnapshot#save} for serving. {@link SnapshotStore#open}
 * makes the URI (any Flink {@code FileSystem}: {@code file://}, {@code s3://}, {@code hdfs://} when the plugin is
 * installed) a local directory; {@link ModelSnapshot#load} verifies every file's SHA-256 against the manifest.
 *
 * <p>An announced checksum ({@link ModelSnapshot#checksum}) is verified first ({@link SnapshotStore#verifyChecksum});
 * a mismatch fails the load, and the operator keeps its current model.
 */
public final class SnapshotModelLoader implements ServingModelLoader {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotModelLoader.class);

    /** {@link #SnapshotModelLoader(int)}'s rank for "the model's default": {@link Gru4RecModel#prepareForServing()}. */
    public static final int DEFAULT_SCORE_BOUND_RANK = -1;

    private final boolean alwaysCopy;
    private final int scoreBoundRank;

    public SnapshotModelLoader() {
        this(DEFAULT_SCORE_BOUND_RANK);
    }

    /**
     * @param scoreBoundRank rank of the pruning bound each loaded model builds ({@link Gru4RecModel#prepareForServing(int)};
     *                       0: none, every item scored), or {@link #DEFAULT_SCORE_BOUND_RANK}
     */
    public SnapshotModelLoader(int scoreBoundRank) {
        this(false, scoreBoundRank);
    }

    /** @param alwaysCopy copy even a local directory, as for a remote one (lets tests cover that path) */
    SnapshotModelLoader(boolean alwaysCopy, int scoreBoundRank) {
        this.alwaysCopy = alwaysCopy;
        this.scoreBoundRank = scoreBoundRank;
    }

    @Override
    public ServingModel load(String snapshotUri, String expectedChecksum, int k) throws IOException {
        try (SnapshotStore.LocalSnapshot snapshot = SnapshotStore.open(snapshotUri, alwaysCopy)) {
            Path local = snapshot.dir();
            if (expectedChecksum != null && !expectedChecksum.isBlank()) {
                SnapshotStore.verifyChecksum(local, snapshotUri, expectedChecksum);
            }
            Gru4RecModel model = ModelSnapshot.load(local);
            // here rather than in ServingModel.of, whose prepareForServing() then finds the model prepared
            long start = System.nanoTime();
            if (scoreBoundRank == DEFAULT_SCORE_BOUND_RANK) {
                model.prepareForServing();
            } else {
                model.prepareForServing(scoreBoundRank);
            }
            LOG.info("Model version {} ({} items, {} hidden units) prepared for serving in {} ms: {}", model.version(),
                    model.itemCount(), model.hiddenSize(), (System.nanoTime() - start) / 1_000_000,
                    model.scoreBoundRank() == 0 ? "every item scored (no pruning bound)"
                            : "exact top-k pruned by a bound of rank " + model.scoreBoundRank());
            return ServingModel.of(model.version(), model, model.vocabulary(), model.popularity(), k);
        }
    }
}
