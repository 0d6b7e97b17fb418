package org.streamrec.flink.training;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
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
    private static final Pattern CHECKPOINT_DIR = Pattern.compile("chk-(\\d+)");

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

    /**
     * Deletes all but the newest {@code keepCheckpoints} {@code checkpoints/chk-<id>} snapshots and all but the newest
     * {@code keepVersions} {@code v<n>} snapshots (0 keeps every version), never one of {@code inUse}. Snapshots of
     * earlier runs of the job count too, so a store does not grow with every restart.
     *
     * @return the URIs deleted
     */
    List<String> prune(int keepCheckpoints, int keepVersions, Set<String> inUse) throws IOException {
        List<String> deleted = new ArrayList<>();
        org.apache.flink.core.fs.Path root = new org.apache.flink.core.fs.Path(rootUri);
        deleted.addAll(pruneNumbered(new org.apache.flink.core.fs.Path(root, "checkpoints"), CHECKPOINT_DIR,
                keepCheckpoints, inUse));
        if (keepVersions > 0) {
            deleted.addAll(pruneNumbered(root, VERSION_DIR, keepVersions, inUse));
        }
        return deleted;
    }

    private List<String> pruneNumbered(org.apache.flink.core.fs.Path parent, Pattern name, int keep, Set<String> inUse)
            throws IOException {
        FileSystem fs = parent.getFileSystem();
        if (!fs.exists(parent)) {
            return List.of();
        }
        TreeMap<Long, org.apache.flink.core.fs.Path> numbered = new TreeMap<>();
        FileStatus[] entries = fs.listStatus(parent);
        if (entries != null) {
            for (FileStatus status : entries) {
                Matcher m = name.matcher(status.getPath().getName());
                if (status.isDir() && m.matches()) {
                    numbered.put(Long.parseLong(m.group(1)), status.getPath());
                }
            }
        }
        Set<String> keepNames = new HashSet<>();
        for (String uri : inUse) {
            keepNames.add(new org.apache.flink.core.fs.Path(uri).getName());
        }
        List<String> deleted = new ArrayList<>();
        int toDelete = numbered.size() - Math.max(0, keep);
        for (org.apache.flink.core.fs.Path dir : numbered.values()) {
            if (toDelete-- <= 0) {
                break;
            }
            if (keepNames.contains(dir.getName())) {
                continue;
            }
            fs.delete(dir, true);
            deleted.add(dir.toString());
        }
        return deleted;
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
