package org.streamrec.flink.serving;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Locale;
import java.util.stream.Stream;

import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.ModelSnapshot;

/**
 * Loads a GRU4Rec snapshot directory written by {@link ModelSnapshot#save}. The URI goes through Flink's
 * {@link FileSystem}, so {@code file://}, {@code s3://}, {@code hdfs://} all work when the plugin is installed: a local
 * directory is read in place, any other is first copied file by file (as listed in its manifest) into a temporary
 * local directory, which is deleted after loading. {@link ModelSnapshot#load} verifies every file's SHA-256 against
 * the manifest.
 *
 * <p>Announcement checksum: the lower-case hex SHA-256 of the snapshot's {@code manifest.json}. The manifest holds
 * the SHA-256 of every other file, so this one value pins the whole snapshot; a mismatch fails the load, and the
 * operator keeps its current model.
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
        try (LocalSnapshot snapshot = localSnapshot(snapshotUri, alwaysCopy)) {
            Path local = snapshot.dir();
            if (expectedChecksum != null && !expectedChecksum.isBlank()) {
                String actual = manifestChecksum(local);
                if (!actual.equals(expectedChecksum.trim().toLowerCase(Locale.ROOT))) {
                    throw new IOException("snapshot " + snapshotUri + " has manifest SHA-256 " + actual
                            + ", the announcement says " + expectedChecksum);
                }
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

    /**
     * A snapshot directory readable through {@link java.nio.file.Path}: the directory itself when local, else a
     * temporary copy (deleted on {@link #close}). Also used by the trainer job to restore from its model store.
     */
    public record LocalSnapshot(Path dir, boolean isCopy) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            if (isCopy) {
                deleteRecursively(dir);
            }
        }
    }

    /** {@code snapshotUri} as a local directory, copying it file by file (as its manifest lists) when remote. */
    public static LocalSnapshot localSnapshot(String snapshotUri, boolean alwaysCopy) throws IOException {
        org.apache.flink.core.fs.Path dir = new org.apache.flink.core.fs.Path(snapshotUri);
        Path local = alwaysCopy ? null : localDirectory(dir);
        if (local != null) {
            return new LocalSnapshot(local, false);
        }
        FileSystem fs = dir.getFileSystem();
        Path copy = Files.createTempDirectory("streamrec-snapshot-");
        try {
            copyFile(fs, dir, ModelSnapshot.MANIFEST, copy);
            for (ModelSnapshot.FileEntry entry : ModelSnapshot.readManifest(copy).files()) {
                copyFile(fs, dir, entry.name(), copy);
            }
            return new LocalSnapshot(copy, true);
        } catch (IOException | RuntimeException e) {
            deleteRecursively(copy);
            throw e;
        }
    }

    /** Hex SHA-256 of {@code manifest.json} in {@code dir}: the checksum a {@code ModelAnnouncement} carries. */
    public static String manifestChecksum(Path dir) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(Files.readAllBytes(dir.resolve(ModelSnapshot.MANIFEST))));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The directory as a local path when the URI is local (no scheme or {@code file:}), else null. */
    public static Path localDirectory(org.apache.flink.core.fs.Path dir) {
        URI uri = dir.toUri();
        if (uri.getScheme() == null) {
            return Path.of(uri.getPath());
        }
        return "file".equals(uri.getScheme()) ? Path.of(uri) : null;
    }

    private static void copyFile(FileSystem fs, org.apache.flink.core.fs.Path dir, String name, Path target)
            throws IOException {
        Path out = target.resolve(name).normalize();
        if (!out.startsWith(target)) {
            throw new IOException("manifest entry " + name + " points outside the snapshot directory");
        }
        Files.createDirectories(out.getParent());
        try (FSDataInputStream in = fs.open(new org.apache.flink.core.fs.Path(dir, name));
             OutputStream os = Files.newOutputStream(out)) {
            ((InputStream) in).transferTo(os);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
