package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendationStrategy;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecParams;
import org.streamrec.model.ItemVocabulary;
import org.streamrec.model.ModelSnapshot;
import org.streamrec.model.TopK;

/** Loading real GRU4Rec snapshots, and the operator serving one: its output equals the model's own ranking. */
class SnapshotModelLoaderTest {

    private static final int ITEMS = 40;

    @TempDir
    Path dir;

    /** A small randomly initialised GRU4Rec saved as version {@code version}; returns the in-memory original. */
    static Gru4RecModel saveModel(Path target, long version) {
        return saveModel(target, version, 8);
    }

    private static Gru4RecModel saveModel(Path target, long version, int hidden) {
        List<String> ids = new ArrayList<>();
        long[] popularity = new long[ITEMS];
        for (int i = 0; i < ITEMS; i++) {
            ids.add("item-" + i);
            popularity[i] = (i * 7L) % ITEMS;
        }
        Gru4RecModel model = Gru4RecModel.create(Gru4RecParams.defaults().with("layers", String.valueOf(hidden)),
                new ItemVocabulary(ids), popularity);
        model.bumpVersion(version);
        ModelSnapshot.save(model, null, target);
        return model;
    }

    @Test
    void eachLoadedModelIsPreparedWithTheLoadersPruningRank() throws Exception {
        Path snapshot = dir.resolve("wide");
        saveModel(snapshot, 4, 48);
        String uri = snapshot.toUri().toString();
        assertThat(((Gru4RecModel) new SnapshotModelLoader().load(uri, null, 5).scorer()).scoreBoundRank())
                .as("the model's default rank for 48 units").isEqualTo(16);
        assertThat(((Gru4RecModel) new SnapshotModelLoader(8).load(uri, null, 5).scorer()).scoreBoundRank()).isEqualTo(8);
        assertThat(((Gru4RecModel) new SnapshotModelLoader(0).load(uri, null, 5).scorer()).scoreBoundRank()).isZero();
    }

    @Test
    void loadsLocalAndCopiedSnapshotsAndChecksTheAnnouncedChecksum() throws Exception {
        Path snapshot = dir.resolve("v3");
        Gru4RecModel original = saveModel(snapshot, 3);
        String checksum = ModelSnapshot.checksum(snapshot);

        for (ServingModelLoader loader : List.of(new SnapshotModelLoader(), new SnapshotModelLoader(true,
                SnapshotModelLoader.DEFAULT_SCORE_BOUND_RANK))) {
            ServingModel served = loader.load(snapshot.toUri().toString(), checksum.toUpperCase(), 5);
            assertThat(served.version()).isEqualTo(3);
            assertThat(served.itemCount()).isEqualTo(ITEMS);
            // popularity (i*7) mod 40 is highest for i = 17 (39), then 34 (38), 11 (37), 28 (36), 5 (35)
            assertThat(served.fallbackItems()).containsExactly("item-17", "item-34", "item-11", "item-28", "item-5");
            float[] expected = original.newSession();
            float[] actual = served.scorer().newSession();
            original.step(expected, 4);
            served.scorer().step(actual, served.rowOf("item-4"));
            assertThat(actual).containsExactly(expected);
        }
        assertThat(new SnapshotModelLoader().load(snapshot.toString(), null, 5).version()).isEqualTo(3);
        try (var files = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith("streamrec-snapshot-")))
                    .as("temporary copies are deleted").isEmpty();
        }
    }

    @Test
    void wrongChecksumOrMissingSnapshotFailsTheLoad() {
        Path snapshot = dir.resolve("v1");
        saveModel(snapshot, 1);
        assertThatThrownBy(() -> new SnapshotModelLoader().load(snapshot.toUri().toString(), "00ff", 5))
                .isInstanceOf(IOException.class).hasMessageContaining("the announcement says 00ff");
        assertThatThrownBy(() -> new SnapshotModelLoader().load(dir.resolve("nothing").toUri().toString(), null, 5))
                .hasMessageContaining("manifest.json");
    }

    @Test
    void operatorServesTheModelsOwnRankingAndHotSwapsToANewerSnapshot() throws Exception {
        Path v1 = dir.resolve("v1");
        Path v2 = dir.resolve("v2");
        Gru4RecModel m1 = saveModel(v1, 1);
        saveModel(v2, 2);
        int k = 10;
        SessionRecommenderOperator operator = new SessionRecommenderOperator(
                new SessionSettings(k, 60_000, 3_600_000, 50, 4, 5, false), new SnapshotModelLoader(),
                v1.toUri().toString());
        try (var harness = new KeyedTwoInputStreamOperatorTestHarness<>(operator, ClickEvent::getUserId, null,
                Types.STRING)) {
            harness.open();
            String[] items = {"item-3", "item-9", "unknown", "item-3"};
            for (int i = 0; i < items.length; i++) {
                harness.processElement1(new StreamRecord<>(event("e" + i, "u", items[i], 1_000 + i), 1_000 + i));
            }
            harness.prepareSnapshotPreBarrier(1);
            List<Recommendation> out = harness.extractOutputValues();
            assertThat(out).hasSize(4).allSatisfy(r -> {
                assertThat(r.getStrategy()).isEqualTo(RecommendationStrategy.MODEL);
                assertThat(r.getModelVersion()).isEqualTo(1);
                assertThat(r.getItems()).hasSize(k);
            });
            // The model itself, stepped over the same known items: same top-k, same scores.
            float[] hidden = m1.newSession();
            m1.step(hidden, 3);
            m1.step(hidden, 9);
            m1.step(hidden, 3);
            float[] scores = new float[ITEMS];
            m1.scoreAll(List.of(hidden), scores);
            int[] top = new int[k];
            float[] topScores = new float[k];
            TopK.select(scores, k, top, topScores);
            List<RecommendedItem> last = out.get(3).getItems();
            for (int j = 0; j < k; j++) {
                assertThat(last.get(j).getItemId()).isEqualTo("item-" + top[j]);
                assertThat(last.get(j).getScore()).isEqualTo(topScores[j]);
            }

            harness.processElement2(new StreamRecord<>(Either.Left(announcement(2, v2))));
            operator.awaitModelLoad();
            harness.setProcessingTime(harness.getProcessingTime() + ServingModels.MODEL_LOAD_POLL_MS);
            harness.processElement1(new StreamRecord<>(event("e9", "u", "item-1", 2_000), 2_000));
            harness.prepareSnapshotPreBarrier(2);
            Recommendation afterSwap = harness.extractOutputValues().get(4);
            assertThat(afterSwap.getModelVersion()).isEqualTo(2);
            assertThat(afterSwap.getSessionId()).isEqualTo("u@1000");
        }
    }

    static ModelAnnouncement announcement(long version, Path snapshot) throws IOException {
        return ModelAnnouncement.newBuilder().setVersion(version)
                .setSnapshotUri(snapshot.toUri().toString()).setChecksum(ModelSnapshot.checksum(snapshot))
                .setItemCount(ITEMS).setTrainingEventsSeen(0).setCreatedTime(Instant.EPOCH).build();
    }

    private static ClickEvent event(String id, String user, String item, long time) {
        return ClickEvent.newBuilder().setEventId(id).setUserId(user).setItemId(item).setEventType(EventType.VIEW)
                .setEventTime(Instant.ofEpochMilli(time)).build();
    }
}
