package org.streamrec.model;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * Saves and loads a {@link Gru4RecModel} (optionally with its trainer's Adagrad state) as a directory:
 * one little-endian binary file per tensor ({@code .f32}, {@code .i64}), the vocabulary as UTF-8 lines,
 * the hyperparameters as {@code params.properties}, and {@code manifest.json} with training counters,
 * shapes and the size and SHA-256 of every file. The manifest is written last, so a directory without
 * one is an unfinished snapshot. Loading verifies every file against the manifest before using it.
 */
public final class ModelSnapshot {

    public static final String MANIFEST = "manifest.json";
    public static final String FORMAT = "streamrec-gru4rec-snapshot";
    public static final int FORMAT_VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    /** What {@code manifest.json} holds. */
    public record Manifest(String format, int formatVersion, long version, long parentVersion, long eventsSeen,
                           int epochsCompleted, int itemCount, int hidden, int inputDim, boolean optimizerState,
                           String createdAt, List<FileEntry> files) {
    }

    public record FileEntry(String name, long bytes, String sha256) {
    }

    private ModelSnapshot() {
    }

    /** Writes {@code model} to {@code dir} (created if needed); includes the optimizer state when {@code trainer} is given. */
    public static Manifest save(Gru4RecModel model, Gru4RecTrainer trainer, Path dir) {
        if (trainer != null && trainer.model() != model) {
            throw new IllegalArgumentException("trainer belongs to another model");
        }
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(dir.resolve(MANIFEST));
        } catch (IOException e) {
            throw new SnapshotException("cannot create snapshot directory " + dir + ": " + e.getMessage(), e);
        }
        int n = model.itemCount();
        List<FileEntry> files = new ArrayList<>();
        files.add(writeBytes(dir, "params.properties", model.params.toPropertiesText().getBytes(StandardCharsets.UTF_8)));
        StringBuilder vocab = new StringBuilder();
        for (String id : model.vocabulary().ids()) {
            if (id.indexOf('\n') >= 0 || id.indexOf('\r') >= 0) {
                throw new SnapshotException("item id with a line break cannot be stored in vocabulary.txt: " + id);
            }
            vocab.append(id).append('\n');
        }
        files.add(writeBytes(dir, "vocabulary.txt", vocab.toString().getBytes(StandardCharsets.UTF_8)));
        files.add(writeLongs(dir, "popularity.i64", model.popularity, n));
        for (Map.Entry<String, TensorRef> t : tensors(model, n).entrySet()) {
            files.add(writeFloats(dir, t.getKey(), t.getValue().data, t.getValue().length));
        }
        if (trainer != null) {
            for (Map.Entry<String, TensorRef> t : trainer.optimizerState(n).entrySet()) {
                files.add(writeFloats(dir, "optimizer/" + t.getKey(), t.getValue().data, t.getValue().length));
            }
        }
        Manifest manifest = new Manifest(FORMAT, FORMAT_VERSION, model.version, model.parentVersion, model.eventsSeen,
                model.epochsCompleted, n, model.hidden, model.inputDim, trainer != null, Instant.now().toString(), files);
        try {
            Path tmp = dir.resolve(MANIFEST + ".tmp");
            JSON.writeValue(tmp.toFile(), manifest);
            Files.move(tmp, dir.resolve(MANIFEST), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new SnapshotException("cannot write " + dir.resolve(MANIFEST) + ": " + e.getMessage(), e);
        }
        return manifest;
    }

    /** Loads the model of a snapshot, verifying every file first. */
    public static Gru4RecModel load(Path dir) {
        return read(dir, false).model();
    }

    /** Loads model and trainer; the trainer continues with the saved Adagrad state when the snapshot has one. */
    public static Gru4RecTrainer loadForTraining(Path dir) {
        return read(dir, true).trainer();
    }

    /**
     * The snapshot's checksum: the lower-case hex SHA-256 of its {@code manifest.json}. The manifest holds the SHA-256
     * of every other file, so this one value pins the whole snapshot; it is what a model announcement carries and
     * what a loader compares before using the snapshot.
     */
    public static String checksum(Path dir) throws IOException {
        return HexFormat.of().formatHex(sha256().digest(Files.readAllBytes(dir.resolve(MANIFEST))));
    }

    public static Manifest readManifest(Path dir) {
        Path file = dir.resolve(MANIFEST);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new SnapshotException("snapshot " + dir + " has no " + MANIFEST + " (missing or unfinished snapshot)");
        } catch (IOException e) {
            throw new SnapshotException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Manifest m;
        try {
            m = JSON.readValue(bytes, Manifest.class);
        } catch (IOException e) {
            throw new SnapshotException(file + " is not a valid manifest: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(m.format()) || m.formatVersion() != FORMAT_VERSION) {
            throw new SnapshotException(file + ": unsupported format " + m.format() + " v" + m.formatVersion()
                    + ", expected " + FORMAT + " v" + FORMAT_VERSION);
        }
        if (m.files() == null) {
            throw new SnapshotException(file + " lists no files");
        }
        return m;
    }

    private record Loaded(Gru4RecModel model, Gru4RecTrainer trainer) {
    }

    private static Loaded read(Path dir, boolean withTrainer) {
        Manifest m = readManifest(dir);
        Map<String, FileEntry> entries = new LinkedHashMap<>();
        for (FileEntry e : m.files()) {
            entries.put(e.name(), e);
        }
        for (FileEntry e : m.files()) {
            verify(dir, e);
        }
        Gru4RecParams params;
        try {
            params = Gru4RecParams.fromProperties(new StringReader(new String(readVerified(dir, entries, "params.properties"), StandardCharsets.UTF_8)));
        } catch (IOException | IllegalArgumentException e) {
            throw new SnapshotException(dir.resolve("params.properties") + ": " + e.getMessage(), e);
        }
        String vocabText = new String(readVerified(dir, entries, "vocabulary.txt"), StandardCharsets.UTF_8);
        if (!vocabText.isEmpty() && !vocabText.endsWith("\n")) {
            throw new SnapshotException(dir.resolve("vocabulary.txt") + " does not end with a line break");
        }
        List<String> ids = vocabText.isEmpty() ? List.of() : List.of(vocabText.substring(0, vocabText.length() - 1).split("\n", -1));
        int n = m.itemCount();
        if (ids.size() != n) {
            throw new SnapshotException(dir.resolve("vocabulary.txt") + " has " + ids.size() + " ids, manifest says " + n + " items");
        }
        if (params.layers() != m.hidden() || params.inputDim() != m.inputDim()) {
            throw new SnapshotException(dir.resolve("params.properties") + " disagrees with the manifest's shapes");
        }
        ItemVocabulary vocabulary;
        try {
            vocabulary = new ItemVocabulary(ids);
        } catch (IllegalArgumentException e) {
            throw new SnapshotException(dir.resolve("vocabulary.txt") + ": " + e.getMessage(), e);
        }
        long[] popularity = readLongs(dir, entries, "popularity.i64", n);
        Gru4RecModel model = new Gru4RecModel(params, vocabulary, popularity, Math.max(16, n));
        for (Map.Entry<String, TensorRef> t : tensors(model, n).entrySet()) {
            readFloats(dir, entries, t.getKey(), t.getValue());
            if (!withTrainer) {
                requireFinite(dir.resolve(t.getKey()), t.getValue());
            }
        }
        model.setCounters(m.eventsSeen(), m.epochsCompleted(), m.version(), m.parentVersion());
        model.parametersChanged();
        Gru4RecTrainer trainer = null;
        if (withTrainer) {
            trainer = new Gru4RecTrainer(model);
            if (m.optimizerState()) {
                for (Map.Entry<String, TensorRef> t : trainer.optimizerState(n).entrySet()) {
                    readFloats(dir, entries, "optimizer/" + t.getKey(), t.getValue());
                }
            }
        }
        return new Loaded(model, trainer);
    }

    /** A parameter array and how many of its floats a snapshot stores. */
    record TensorRef(float[] data, int length) {
    }

    private static Map<String, TensorRef> tensors(Gru4RecModel model, int n) {
        Map<String, TensorRef> t = new LinkedHashMap<>();
        t.put("out_embedding.f32", new TensorRef(model.outEmb, n * model.hidden));
        t.put("out_bias.f32", new TensorRef(model.outBias, n));
        if (!model.constrained) {
            t.put("in_embedding.f32", new TensorRef(model.inEmb, n * model.inputDim));
        }
        t.put("gru_w_in.f32", new TensorRef(model.wIn, model.wIn.length));
        t.put("gru_b_in.f32", new TensorRef(model.bIn, model.bIn.length));
        t.put("gru_w_hid.f32", new TensorRef(model.wHid, model.wHid.length));
        t.put("gru_b_hid.f32", new TensorRef(model.bHid, model.bHid.length));
        return t;
    }

    // ------------------------------------------------------------------ writing

    private static FileEntry writeBytes(Path dir, String name, byte[] bytes) {
        return write(dir, name, out -> out.write(bytes));
    }

    private static FileEntry writeFloats(Path dir, String name, float[] data, int length) {
        return write(dir, name, out -> {
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < length; i++) {
                if (!buf.hasRemaining()) {
                    out.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                buf.putFloat(data[i]);
            }
            out.write(buf.array(), 0, buf.position());
        });
    }

    private static FileEntry writeLongs(Path dir, String name, long[] data, int length) {
        return write(dir, name, out -> {
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < length; i++) {
                if (!buf.hasRemaining()) {
                    out.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                buf.putLong(data[i]);
            }
            out.write(buf.array(), 0, buf.position());
        });
    }

    private interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private static FileEntry write(Path dir, String name, Writer writer) {
        Path file = dir.resolve(name);
        MessageDigest digest = sha256();
        try {
            Files.createDirectories(file.getParent());
            try (OutputStream out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16), digest)) {
                writer.write(out);
            }
            return new FileEntry(name, Files.size(file), HexFormat.of().formatHex(digest.digest()));
        } catch (IOException e) {
            throw new SnapshotException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ reading

    /** Size and SHA-256 of one file against its manifest entry. */
    private static void verify(Path dir, FileEntry e) {
        Path file = dir.resolve(e.name()).normalize();
        if (!file.startsWith(dir.normalize())) {
            throw new SnapshotException(MANIFEST + " in " + dir + " names a file outside the snapshot: " + e.name());
        }
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException ex) {
            throw new SnapshotException("snapshot file " + file + " is missing (listed in " + MANIFEST + ")");
        } catch (IOException ex) {
            throw new SnapshotException("cannot read " + file + ": " + ex.getMessage(), ex);
        }
        if (size != e.bytes()) {
            throw new SnapshotException("snapshot file " + file + " has " + size + " bytes but " + MANIFEST + " says "
                    + e.bytes() + (size < e.bytes() ? " (truncated)" : " (extra bytes)"));
        }
        MessageDigest digest = sha256();
        try (InputStream in = new DigestInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException ex) {
            throw new SnapshotException("cannot read " + file + ": " + ex.getMessage(), ex);
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equalsIgnoreCase(e.sha256())) {
            throw new SnapshotException("snapshot file " + file + " is corrupted: SHA-256 " + actual + " but "
                    + MANIFEST + " says " + e.sha256());
        }
    }

    private static FileEntry entry(Path dir, Map<String, FileEntry> entries, String name) {
        FileEntry e = entries.get(name);
        if (e == null) {
            throw new SnapshotException(MANIFEST + " in " + dir + " does not list required file " + name);
        }
        return e;
    }

    private static byte[] readVerified(Path dir, Map<String, FileEntry> entries, String name) {
        entry(dir, entries, name);
        try {
            return Files.readAllBytes(dir.resolve(name));
        } catch (IOException e) {
            throw new SnapshotException("cannot read " + dir.resolve(name) + ": " + e.getMessage(), e);
        }
    }

    private static void readFloats(Path dir, Map<String, FileEntry> entries, String name, TensorRef target) {
        FileEntry e = entry(dir, entries, name);
        if (e.bytes() != 4L * target.length()) {
            throw new SnapshotException("snapshot file " + dir.resolve(name) + " holds " + e.bytes() / 4
                    + " floats, the model's shape needs " + target.length());
        }
        ByteBuffer buf = ByteBuffer.wrap(readVerified(dir, entries, name)).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().get(target.data(), 0, target.length());
    }

    /**
     * A diverged training run can store NaN or infinite weights with valid checksums; served, they would rank items
     * arbitrarily (NaN scores are never selected, so answers would fall back or come out empty). Serving refuses such
     * a snapshot; the trainer can still restore from it, so a diverged checkpoint fails loudly where it is served
     * rather than sending the trainer into a restart loop.
     */
    private static void requireFinite(Path file, TensorRef tensor) {
        float[] data = tensor.data();
        for (int i = 0; i < tensor.length(); i++) {
            if (!Float.isFinite(data[i])) {
                throw new SnapshotException("snapshot file " + file + " holds a non-finite weight (" + data[i]
                        + " at index " + i + "): refusing to serve it");
            }
        }
    }

    private static long[] readLongs(Path dir, Map<String, FileEntry> entries, String name, int n) {
        FileEntry e = entry(dir, entries, name);
        if (e.bytes() != 8L * n) {
            throw new SnapshotException("snapshot file " + dir.resolve(name) + " holds " + e.bytes() / 8
                    + " counts for " + n + " items");
        }
        long[] out = new long[n];
        ByteBuffer.wrap(readVerified(dir, entries, name)).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        return out;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
