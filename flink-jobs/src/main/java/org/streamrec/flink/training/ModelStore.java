package org.streamrec.flink.training;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.streamrec.flink.serving.SnapshotModelLoader;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecTrainer;
import org.streamrec.model.ModelSnapshot;

/**
 * The trainer's model store: a directory URI on a Flink {@link FileSystem} ({@code file://}, {@code s3://},
 * {@code hdfs://}). Published versions live in {@code v<version>} (zero-padded), snapshots taken only for
 * checkpoints in {@code checkpoints/chk-<id>}. A snapshot is written locally by {@link ModelSnapshot#save} (in place
 * for a local store) and, for a remote store, uploaded file by file with the manifest last, so a directory without
 * {@code manifest.json} is unfinished on every file system.
 */
final class ModelStore {

    private static final Pattern VERSION_DIR = Pattern.compile("v(\\d+)");

    private final String rootUri;

    ModelStore(String rootUri) {
        this.rootUri = rootUri.endsWith("/") ? rootUri.substring(0, rootUri.length() - 1) : rootUri;
    }

    String versionUri(long version) {
        return rootUri + "/" + String.format("v%06d", version);
    }

    String checkpointUri(long checkpointId) {
        return rootUri + "/checkpoints/chk-" + checkpointId;
    }

    /** What was written: where, and the checksum an announcement carries (hex SHA-256 of {@code manifest.json}). */
    record Written(String uri, String checksum, ModelSnapshot.Manifest manifest) {
    }

    Written write(Gru4RecModel model, Gru4RecTrainer trainer, String uri) throws IOException {
        org.apache.flink.core.fs.Path target = new org.apache.flink.core.fs.Path(uri);
        Path local = SnapshotModelLoader.localDirectory(target);
        if (local != null) {
            ModelSnapshot.Manifest manifest = ModelSnapshot.save(model, trainer, local);
            return new Written(uri, SnapshotModelLoader.manifestChecksum(local), manifest);
        }
        Path tmp = Files.createTempDirectory("streamrec-trainer-");
        try {
            ModelSnapshot.Manifest manifest = ModelSnapshot.save(model, trainer, tmp);
            FileSystem fs = target.getFileSystem();
            for (ModelSnapshot.FileEntry entry : manifest.files()) {
                upload(fs, tmp, entry.name(), target);
            }
            upload(fs, tmp, ModelSnapshot.MANIFEST, target);
            return new Written(uri, SnapshotModelLoader.manifestChecksum(tmp), manifest);
        } finally {
            deleteLocal(tmp);
        }
    }

    /** Model and trainer (with its Adagrad state) from a snapshot written by {@link #write}. */
    static Gru4RecTrainer loadForTraining(String uri) throws IOException {
        try (SnapshotModelLoader.LocalSnapshot snapshot = SnapshotModelLoader.localSnapshot(uri, false)) {
            return ModelSnapshot.loadForTraining(snapshot.dir());
        }
    }

    /**
     * The highest version directory in the store (finished or not), or 0. A restored trainer numbers new versions
     * above it, so a version is never written twice even when the job restarts from an older checkpoint or savepoint.
     */
    long highestVersionDirectory() throws IOException {
        org.apache.flink.core.fs.Path root = new org.apache.flink.core.fs.Path(rootUri);
        FileSystem fs = root.getFileSystem();
        if (!fs.exists(root)) {
            return 0;
        }
        long max = 0;
        FileStatus[] entries = fs.listStatus(root);
        if (entries != null) {
            for (FileStatus status : entries) {
                Matcher m = VERSION_DIR.matcher(status.getPath().getName());
                if (status.isDir() && m.matches()) {
                    max = Math.max(max, Long.parseLong(m.group(1)));
                }
            }
        }
        return max;
    }

    void delete(String uri) throws IOException {
        org.apache.flink.core.fs.Path dir = new org.apache.flink.core.fs.Path(uri);
        dir.getFileSystem().delete(dir, true);
    }

    private static void upload(FileSystem fs, Path localDir, String name, org.apache.flink.core.fs.Path target)
            throws IOException {
        try (OutputStream out = fs.create(new org.apache.flink.core.fs.Path(target, name),
                FileSystem.WriteMode.OVERWRITE)) {
            Files.copy(localDir.resolve(name), out);
        }
    }

    private static void deleteLocal(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
