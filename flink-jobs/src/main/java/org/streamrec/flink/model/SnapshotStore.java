package org.streamrec.flink.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecTrainer;
import org.streamrec.model.ModelSnapshot;

/**
 * Where model snapshots live and how they are written, listed, pruned, opened and checked; shared by the trainer
 * (writes, lists, prunes), the serving job (opens and verifies what an announcement names) and the announcer.
 *
 * <p>A store is a directory URI on a Flink {@link FileSystem} ({@code file://}, {@code s3://}, {@code hdfs://}).
 * Published versions live in {@code v<version>} (zero-padded), snapshots taken only for checkpoints in
 * {@code checkpoints/chk-<id>}. A snapshot is written locally by {@link ModelSnapshot#save} (in place for a local
 * store) and, for a remote store, uploaded file by file with the manifest last, so a directory without
 * {@code manifest.json} is unfinished on every file system.
 *
 * <p>Opening ({@link #open}) works for any snapshot URI, in a store or not (a bootstrap model, a {@code recsys train}
 * output): a local directory is used in place, any other is first copied file by file (as listed in its manifest)
 * into a temporary local directory, deleted on close. The checksum is {@link ModelSnapshot#checksum}, the SHA-256 of
 * the manifest, which itself holds the SHA-256 of every other file.
 */
public final class SnapshotStore {

    private static final Pattern VERSION_DIR = Pattern.compile("v(\\d+)");
    private static final Pattern CHECKPOINT_DIR = Pattern.compile("chk-(\\d+)");

    private final String rootUri;

    public SnapshotStore(String rootUri) {
        this.rootUri = rootUri.endsWith("/") ? rootUri.substring(0, rootUri.length() - 1) : rootUri;
    }

    public String versionUri(long version) {
        return rootUri + "/" + String.format("v%06d", version);
    }

    public String checkpointUri(long checkpointId) {
        return rootUri + "/checkpoints/chk-" + checkpointId;
    }

    /** Writes {@code model} with its trainer's Adagrad state to {@code uri}; returns what an announcement needs. */
    public StoredSnapshot write(Gru4RecModel model, Gru4RecTrainer trainer, String uri) throws IOException {
        org.apache.flink.core.fs.Path target = new org.apache.flink.core.fs.Path(uri);
        Path local = localDirectory(target);
        if (local != null) {
            ModelSnapshot.Manifest manifest = ModelSnapshot.save(model, trainer, local);
            return StoredSnapshot.of(uri, ModelSnapshot.checksum(local), manifest);
        }
        Path tmp = Files.createTempDirectory("streamrec-trainer-");
        try {
            ModelSnapshot.Manifest manifest = ModelSnapshot.save(model, trainer, tmp);
            FileSystem fs = target.getFileSystem();
            for (ModelSnapshot.FileEntry entry : manifest.files()) {
                upload(fs, tmp, entry.name(), target);
            }
            upload(fs, tmp, ModelSnapshot.MANIFEST, target);
            return StoredSnapshot.of(uri, ModelSnapshot.checksum(tmp), manifest);
        } finally {
            deleteRecursively(tmp);
        }
    }

    /**
     * The numbers of the {@code v<n>} directories in the store (finished or not), ascending. A restored trainer
     * numbers new versions above the highest, so a version is never written twice even when the job restarts from
     * an older checkpoint or savepoint.
     */
    public List<Long> versions() throws IOException {
        return new ArrayList<>(numbered(new org.apache.flink.core.fs.Path(rootUri), VERSION_DIR).keySet());
    }

    /** The highest {@code v<n>} directory in the store (finished or not), or 0. */
    public long highestVersionDirectory() throws IOException {
        List<Long> versions = versions();
        return versions.isEmpty() ? 0 : versions.get(versions.size() - 1);
    }

    /**
     * Deletes all but the newest {@code keepCheckpoints} {@code checkpoints/chk-<id>} snapshots and all but the newest
     * {@code keepVersions} {@code v<n>} snapshots (0 keeps every version), never one of {@code inUse}. Snapshots of
     * earlier runs of the job count too, so a store does not grow with every restart.
     *
     * @return the URIs deleted
     */
    public List<String> prune(int keepCheckpoints, int keepVersions, Set<String> inUse) throws IOException {
        List<String> deleted = new ArrayList<>();
        org.apache.flink.core.fs.Path root = new org.apache.flink.core.fs.Path(rootUri);
        deleted.addAll(pruneNumbered(new org.apache.flink.core.fs.Path(root, "checkpoints"), CHECKPOINT_DIR,
                keepCheckpoints, inUse));
        if (keepVersions > 0) {
            deleted.addAll(pruneNumbered(root, VERSION_DIR, keepVersions, inUse));
        }
        return deleted;
    }

    private static TreeMap<Long, org.apache.flink.core.fs.Path> numbered(org.apache.flink.core.fs.Path parent,
                                                                        Pattern name) throws IOException {
        TreeMap<Long, org.apache.flink.core.fs.Path> numbered = new TreeMap<>();
        FileSystem fs = parent.getFileSystem();
        if (!fs.exists(parent)) {
            return numbered;
        }
        FileStatus[] entries = fs.listStatus(parent);
        if (entries != null) {
            for (FileStatus status : entries) {
                Matcher m = name.matcher(status.getPath().getName());
                if (status.isDir() && m.matches()) {
                    numbered.put(Long.parseLong(m.group(1)), status.getPath());
                }
            }
        }
        return numbered;
    }

    private static List<String> pruneNumbered(org.apache.flink.core.fs.Path parent, Pattern name, int keep,
                                              Set<String> inUse) throws IOException {
        TreeMap<Long, org.apache.flink.core.fs.Path> numbered = numbered(parent, name);
        if (numbered.isEmpty()) {
            return List.of();
        }
        FileSystem fs = parent.getFileSystem();
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

    // ------------------------------------------------------------------ opening any snapshot URI

    /**
     * A snapshot directory readable through {@link java.nio.file.Path}: the directory itself when local, else a
     * temporary copy (deleted on {@link #close}).
     */
    public record LocalSnapshot(Path dir, boolean isCopy) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            if (isCopy) {
                deleteRecursively(dir);
            }
        }
    }

    /**
     * {@code snapshotUri} as a local directory, copying it file by file (as its manifest lists) when remote, or
     * always with {@code alwaysCopy} (lets tests cover the remote path).
     */
    public static LocalSnapshot open(String snapshotUri, boolean alwaysCopy) throws IOException {
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

    /** Model and trainer (with its Adagrad state, when the snapshot has one) from the snapshot at {@code uri}. */
    public static Gru4RecTrainer loadForTraining(String uri) throws IOException {
        try (LocalSnapshot snapshot = open(uri, false)) {
            return ModelSnapshot.loadForTraining(snapshot.dir());
        }
    }

    /**
     * Fails unless the snapshot in {@code local} (opened from {@code uri}) has the checksum an announcement gave;
     * hex case and surrounding blanks do not matter.
     */
    public static void verifyChecksum(Path local, String uri, String expected) throws IOException {
        String actual = ModelSnapshot.checksum(local);
        if (!actual.equals(expected.trim().toLowerCase(Locale.ROOT))) {
            throw new IOException("snapshot " + uri + " has manifest SHA-256 " + actual
                    + ", the announcement says " + expected);
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

    private static void upload(FileSystem fs, Path localDir, String name, org.apache.flink.core.fs.Path target)
            throws IOException {
        try (OutputStream out = fs.create(new org.apache.flink.core.fs.Path(target, name),
                FileSystem.WriteMode.OVERWRITE)) {
            Files.copy(localDir.resolve(name), out);
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
