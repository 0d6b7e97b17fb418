package org.streamrec.flink.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecParams;
import org.streamrec.model.Gru4RecTrainer;
import org.streamrec.model.ItemVocabulary;
import org.streamrec.model.ModelSnapshot;

/** The snapshot store: layout, write, list, prune, open, and the checksum an announcement carries. */
class SnapshotStoreTest {

    @TempDir
    Path dir;

    private static Gru4RecTrainer trainer(long version) {
        Gru4RecModel model = Gru4RecModel.create(Gru4RecParams.defaults().with("layers", "4"),
                new ItemVocabulary(List.of("a", "b", "c")), new long[] {3, 2, 1});
        model.bumpVersion(version);
        return new Gru4RecTrainer(model);
    }

    private SnapshotStore store() {
        return new SnapshotStore(dir.resolve("store").toUri() + "/"); // the trailing slash does not matter
    }

    @Test
    void writesVersionsAndCheckpointSnapshotsWhereTheLayoutSaysWithTheirManifestsChecksum() throws Exception {
        SnapshotStore store = store();
        assertThat(store.versionUri(7)).endsWith("/store/v000007");
        assertThat(store.checkpointUri(12)).endsWith("/store/checkpoints/chk-12");
        assertThat(store.versions()).isEmpty();
        assertThat(store.highestVersionDirectory()).isZero();

        Gru4RecTrainer t = trainer(2);
        StoredSnapshot written = store.write(t.model(), t, store.versionUri(2));
        Path local = dir.resolve("store/v000002");
        assertThat(written.uri()).isEqualTo(store.versionUri(2));
        assertThat(written.checksum()).isEqualTo(ModelSnapshot.checksum(local)).hasSize(64);
        assertThat(written).extracting(StoredSnapshot::version, StoredSnapshot::itemCount).containsExactly(2L, 3);
        assertThat(ModelSnapshot.readManifest(local).optimizerState()).isTrue();
        assertThat(StoredSnapshot.read(local, written.uri())).isEqualTo(written);

        store.write(t.model(), t, store.checkpointUri(5));
        assertThat(dir.resolve("store/checkpoints/chk-5/manifest.json")).exists();
        // A checkpoint snapshot is not a version; an unfinished version directory is (its number is taken).
        Files.createDirectories(dir.resolve("store/v000010"));
        assertThat(store.versions()).containsExactly(2L, 10L);
        assertThat(store.highestVersionDirectory()).isEqualTo(10);
    }

    @Test
    void prunesAllButTheNewestAndNeverOneInUse() throws Exception {
        SnapshotStore store = store();
        Gru4RecTrainer t = trainer(1);
        for (long id = 1; id <= 5; id++) {
            store.write(t.model(), t, store.checkpointUri(id));
            store.write(t.model(), t, store.versionUri(id));
        }
        List<String> deleted = store.prune(2, 3, Set.of(store.checkpointUri(1), store.versionUri(2)));
        assertThat(deleted).hasSize(2 + 1);
        assertThat(names(dir.resolve("store/checkpoints"))).containsExactlyInAnyOrder("chk-1", "chk-4", "chk-5");
        assertThat(store.versions()).containsExactly(2L, 3L, 4L, 5L);

        assertThat(store.prune(2, 0, Set.of())).as("0 keeps every version").hasSize(1);
        assertThat(store.versions()).containsExactly(2L, 3L, 4L, 5L);
        assertThat(new SnapshotStore(dir.resolve("absent").toUri().toString()).prune(1, 1, Set.of())).isEmpty();
    }

    @Test
    void opensLocalSnapshotsInPlaceAndOthersAsATemporaryCopyThatCloseDeletes() throws Exception {
        SnapshotStore store = store();
        Gru4RecTrainer t = trainer(3);
        String uri = store.write(t.model(), t, store.versionUri(3)).uri();
        try (SnapshotStore.LocalSnapshot inPlace = SnapshotStore.open(uri, false)) {
            assertThat(inPlace.isCopy()).isFalse();
            assertThat(inPlace.dir()).isEqualTo(dir.resolve("store/v000003"));
        }
        Path copyDir;
        try (SnapshotStore.LocalSnapshot copy = SnapshotStore.open(uri, true)) {
            copyDir = copy.dir();
            assertThat(copy.isCopy()).isTrue();
            assertThat(ModelSnapshot.checksum(copyDir)).isEqualTo(ModelSnapshot.checksum(dir.resolve("store/v000003")));
        }
        assertThat(copyDir).doesNotExist();
        assertThat(SnapshotStore.loadForTraining(uri).model().version()).isEqualTo(3);
    }

    @Test
    void verifiesTheAnnouncedChecksumAndRejectsAnyOther() throws Exception {
        SnapshotStore store = store();
        Gru4RecTrainer t = trainer(4);
        StoredSnapshot written = store.write(t.model(), t, store.versionUri(4));
        Path local = dir.resolve("store/v000004");
        SnapshotStore.verifyChecksum(local, written.uri(), written.checksum());
        SnapshotStore.verifyChecksum(local, written.uri(), " " + written.checksum().toUpperCase() + "\n");
        assertThatThrownBy(() -> SnapshotStore.verifyChecksum(local, written.uri(), "00ff"))
                .isInstanceOf(IOException.class).hasMessageContaining("the announcement says 00ff");

        // Any change to a file changes the manifest (it holds every file's SHA-256), so the checksum too.
        Path manifest = local.resolve(ModelSnapshot.MANIFEST);
        Files.writeString(manifest, Files.readString(manifest).replace("\"version\" : 4", "\"version\" : 5"));
        assertThatThrownBy(() -> SnapshotStore.verifyChecksum(local, written.uri(), written.checksum()))
                .isInstanceOf(IOException.class).hasMessageContaining("has manifest SHA-256");
    }

    private static List<String> names(Path parent) throws IOException {
        try (var files = Files.list(parent)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
