package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.avro.ServingControl;
import org.streamrec.avro.ServingControlCommand;
import org.streamrec.flink.io.UserIdHash;

/**
 * Harness tests of the serving control channel on {@link SessionRecommenderOperator}: pin (rollback), unpin and user
 * deletion, with the hand-checkable {@link TestModels} plus a version 3 ({@code mem://v3}: ranks like v1, one more
 * hidden dimension).
 */
class ServingControlOperatorTest {

    private static final long GAP = 1_000;

    private final List<Harness> opened = new ArrayList<>();
    private int eventSeq;
    private int commandSeq;

    /** One operator subtask under test, with the snapshot URIs its loader was asked for. */
    private record Harness(KeyedTwoInputStreamOperatorTestHarness<String, ClickEvent,
            Either<ModelAnnouncement, ServingControl>, Recommendation> harness,
                           SessionRecommenderOperator operator, List<String> loads) {
    }

    /**
     * {@link TestModels} plus {@code mem://v3} and {@code mem://v4} (both rank like v1, one more step); records every
     * URI it loads; the URIs in {@code gone} fail as a pruned snapshot would.
     */
    private static final class ThreeVersions implements ServingModelLoader {
        private final TestModels models = new TestModels();
        private final List<String> loads;
        private final Set<String> gone;

        ThreeVersions(List<String> loads, Set<String> gone) {
            this.loads = loads;
            this.gone = gone;
        }

        @Override
        public ServingModel load(String snapshotUri, String expectedChecksum, int k) {
            loads.add(snapshotUri);
            if (gone.contains(snapshotUri)) {
                throw new IllegalStateException("snapshot " + snapshotUri + " was pruned");
            }
            if (snapshotUri.equals("mem://v3") || snapshotUri.equals("mem://v4")) {
                return ServingModel.of(snapshotUri.endsWith("3") ? 3 : 4, new CyclicTestScorer(TestModels.ITEMS, 1, 1),
                        TestModels.vocabulary(), new long[] {10, 20, 30, 40, 50, 60}, k);
            }
            return models.load(snapshotUri, expectedChecksum, k);
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (Harness h : opened) {
            h.harness().close();
        }
    }

    private Harness build(int batchMaxSize, int maxParallelism, int parallelism, int subtask) throws Exception {
        return build(batchMaxSize, maxParallelism, parallelism, subtask, Set.of());
    }

    private Harness build(int batchMaxSize, int maxParallelism, int parallelism, int subtask, Set<String> gone)
            throws Exception {
        List<String> loads = new ArrayList<>();
        SessionRecommenderOperator operator = new SessionRecommenderOperator(
                new SessionSettings(3, GAP, 60_000, 50, batchMaxSize, 5, false), new ThreeVersions(loads, gone),
                "mem://v1");
        Harness h = new Harness(new KeyedTwoInputStreamOperatorTestHarness<>(operator, ClickEvent::getUserId, null,
                Types.STRING, maxParallelism, parallelism, subtask), operator, loads);
        opened.add(h);
        return h;
    }

    private Harness open(int batchMaxSize) throws Exception {
        Harness h = build(batchMaxSize, 128, 1, 0);
        h.harness().open();
        return h;
    }

    private void event(Harness h, String user, String item, long time) throws Exception {
        h.harness().processElement1(new StreamRecord<>(ClickEvent.newBuilder()
                .setEventId("e" + (++eventSeq)).setUserId(user).setItemId(item).setEventType(EventType.VIEW)
                .setEventTime(Instant.ofEpochMilli(time)).build(), time));
    }

    private static void announce(Harness h, long version, String uri) throws Exception {
        h.harness().processElement2(new StreamRecord<>(Either.Left(ModelAnnouncement.newBuilder()
                .setVersion(version).setParentVersion(version - 1).setSnapshotUri(uri).setChecksum("test")
                .setItemCount(TestModels.ITEMS).setTrainingEventsSeen(0).setCreatedTime(Instant.EPOCH).build())));
    }

    private void control(Harness h, ServingControlCommand command, Long version, String user) throws Exception {
        h.harness().processElement2(new StreamRecord<>(Either.Right(ServingControl.newBuilder()
                .setCommandId("cmd-" + (++commandSeq)).setCommand(command).setModelVersion(version).setUserId(user)
                .setRequestedBy("test").setRequestTime(Instant.EPOCH).build())));
    }

    /** Lets a load in progress finish, then advances processing time to the operator's next check of it. */
    private static void awaitModelLoad(Harness h) throws Exception {
        h.operator().awaitModelLoad();
        h.harness().setProcessingTime(h.harness().getProcessingTime() + ServingModels.MODEL_LOAD_POLL_MS);
    }

    private static List<Recommendation> output(Harness h) {
        return h.harness().extractOutputValues();
    }

    private static Recommendation last(Harness h) {
        List<Recommendation> out = output(h);
        return out.get(out.size() - 1);
    }

    private static List<String> items(Recommendation r) {
        return r.getItems().stream().map(RecommendedItem::getItemId).toList();
    }

    @Test
    void pinRollsBackAndHoldsThroughNewerAnnouncementsUntilUnpinMovesToTheNewest() throws Exception {
        Harness h = open(1);
        event(h, "a", "i0", 100);
        announce(h, 2, "mem://v2");
        awaitModelLoad(h);
        event(h, "a", "i1", 200);
        assertThat(last(h).getModelVersion()).isEqualTo(2);
        assertThat(items(last(h))).containsExactly("i0", "i5", "i4");  // v2 ranks the previous items

        control(h, ServingControlCommand.PIN_MODEL_VERSION, 1L, null);
        awaitModelLoad(h);
        assertThat(h.operator().metrics().modelVersion.getValue()).isEqualTo(1);
        assertThat(h.operator().metrics().pinnedModelVersion.getValue()).isEqualTo(1);
        event(h, "a", "i2", 300);
        // Rolled back and the session kept: v1 recomputes the hidden state from i0 i1 and steps i2.
        assertThat(last(h).getModelVersion()).isEqualTo(1);
        assertThat(last(h).getSessionId()).isEqualTo("a@100");
        assertThat(items(last(h))).containsExactly("i3", "i4", "i5");

        int loadsBefore = h.loads().size();
        announce(h, 3, "mem://v3");
        awaitModelLoad(h);
        event(h, "a", "i3", 400);
        assertThat(h.loads()).as("a newer version is remembered, not loaded, while pinned").hasSize(loadsBefore);
        assertThat(last(h).getModelVersion()).isEqualTo(1);

        control(h, ServingControlCommand.UNPIN_MODEL_VERSION, null, null);
        awaitModelLoad(h);
        assertThat(h.operator().metrics().pinnedModelVersion.getValue()).isEqualTo(ModelVersions.NOT_PINNED);
        event(h, "a", "i4", 500);
        assertThat(last(h).getModelVersion()).isEqualTo(3);
        assertThat(output(h)).extracting(Recommendation::getModelVersion).containsExactly(1L, 2L, 1L, 1L, 3L);

        // Pinning the version being served loads nothing.
        control(h, ServingControlCommand.PIN_MODEL_VERSION, 3L, null);
        assertThat(h.operator().metrics().pinnedModelVersion.getValue()).isEqualTo(3);
        assertThat(h.loads()).last().isEqualTo("mem://v3");
        assertThat(h.operator().metrics().modelLoadFailures.getCount()).isZero();
        assertThat(h.operator().metrics().controlCommandsRefused.getCount()).isZero();
    }

    @Test
    void pinToAnUnknownVersionIsRefusedLoggedAndCountedAndServingIsUnchanged() throws Exception {
        Harness h = open(1);
        announce(h, 2, "mem://v2");
        awaitModelLoad(h);
        try (LogCapture logs = LogCapture.capture()) {
            control(h, ServingControlCommand.PIN_MODEL_VERSION, 7L, null);
            control(h, ServingControlCommand.PIN_MODEL_VERSION, null, null);
            assertThat(logs.lines()).filteredOn(l -> l.startsWith("WARN") && l.contains("Refusing control"))
                    .hasSize(2)
                    .anySatisfy(l -> assertThat(l).contains("model version 7 was never announced", "[1, 2]"));
        }
        assertThat(h.operator().metrics().controlCommandsRefused.getCount()).isEqualTo(2);
        assertThat(h.operator().metrics().pinnedModelVersion.getValue()).isEqualTo(ModelVersions.NOT_PINNED);
        assertThat(h.operator().metrics().modelVersion.getValue()).isEqualTo(2);
        event(h, "a", "i0", 100);
        assertThat(last(h).getModelVersion()).isEqualTo(2);
        // Not pinned: the next announcement is served as usual.
        announce(h, 3, "mem://v3");
        awaitModelLoad(h);
        assertThat(h.operator().metrics().modelVersion.getValue()).isEqualTo(3);
    }

    @Test
    void rememberedVersionsAreBoundedAndTheOldestAreForgottenFirst() throws Exception {
        Harness h = open(1);
        int announced = ModelVersions.MAX_KNOWN_MODELS + 5;
        for (long v = 2; v <= announced + 1; v++) {
            announce(h, v, "mem://nothing-" + v);   // none of them loads; only remembering matters here
        }
        awaitModelLoad(h);
        awaitModelLoad(h);
        assertThat(h.operator().metrics().modelVersion.getValue()).isEqualTo(1);
        try (LogCapture logs = LogCapture.capture()) {
            control(h, ServingControlCommand.PIN_MODEL_VERSION, 2L, null);   // among the oldest: forgotten
            assertThat(h.operator().metrics().controlCommandsRefused.getCount()).isEqualTo(1);
            assertThat(logs.lines()).anySatisfy(l -> assertThat(l)
                    .contains(ModelVersions.MAX_KNOWN_MODELS + " versions, [1, "));
        }
        control(h, ServingControlCommand.PIN_MODEL_VERSION, 1L, null);       // serving: never forgotten
        assertThat(h.operator().metrics().pinnedModelVersion.getValue()).isEqualTo(1);
        control(h, ServingControlCommand.PIN_MODEL_VERSION, (long) announced + 1, null);  // newest: kept
        assertThat(h.operator().metrics().pinnedModelVersion.getValue()).isEqualTo(announced + 1);
        assertThat(h.operator().metrics().controlCommandsRefused.getCount()).isEqualTo(1);
    }

    @Test
    void aPinArrivingWhileANewerVersionLoadsDiscardsThatLoadWithoutCountingAFailure() throws Exception {
        Harness h = open(1);
        announce(h, 2, "mem://v2");          // loading on the loader thread
        control(h, ServingControlCommand.PIN_MODEL_VERSION, 1L, null);
        awaitModelLoad(h);                   // v2 loaded, but no longer wanted
        assertThat(h.operator().metrics().modelVersion.getValue()).isEqualTo(1);
        assertThat(h.operator().metrics().modelLoadFailures.getCount()).isZero();
        event(h, "a", "i0", 100);
        assertThat(last(h).getModelVersion()).isEqualTo(1);
    }

    @Test
    void aPinToASnapshotThatNoLongerLoadsIsWithdrawnAndLaterAnnouncementsAreServed() throws Exception {
        Harness h = build(1, 128, 1, 0, Set.of("mem://v2"));
        h.harness().open();
        announce(h, 2, "mem://v2");          // announced, then pruned from the store before anyone pinned it
        awaitModelLoad(h);
        announce(h, 3, "mem://v3");
        awaitModelLoad(h);
        assertThat(h.operator().metrics().modelVersion.getValue()).isEqualTo(3);

        control(h, ServingControlCommand.PIN_MODEL_VERSION, 2L, null);
        awaitModelLoad(h);
        assertThat(h.operator().metrics().modelVersion.getValue()).as("still serving v3").isEqualTo(3);
        assertThat(h.operator().metrics().pinnedModelVersion.getValue()).as("pin withdrawn").isEqualTo(-1);
        assertThat(h.operator().metrics().controlCommandsRefused.getCount()).isEqualTo(1);

        announce(h, 4, "mem://v4");
        awaitModelLoad(h);
        assertThat(h.operator().metrics().modelVersion.getValue()).as("not frozen by the failed pin").isEqualTo(4);
        event(h, "a", "i0", 100);
        assertThat(last(h).getModelVersion()).isEqualTo(4);
        control(h, ServingControlCommand.PIN_MODEL_VERSION, 2L, null);
        assertThat(h.operator().metrics().controlCommandsRefused.getCount()).as("v2 forgotten: refused at once")
                .isEqualTo(2);
    }

    @Test
    void aRestoreWhosePinnedSnapshotIsGoneWithdrawsThePinAndFollowsAnnouncements() throws Exception {
        Harness h = open(1);
        announce(h, 2, "mem://v2");
        awaitModelLoad(h);
        announce(h, 3, "mem://v3");
        awaitModelLoad(h);
        control(h, ServingControlCommand.PIN_MODEL_VERSION, 2L, null);
        awaitModelLoad(h);
        assertThat(h.operator().metrics().modelVersion.getValue()).isEqualTo(2);
        OperatorSubtaskState snapshot = h.harness().snapshot(1, 1);

        // v2, pinned and served at the checkpoint, was pruned before the restore: the start-up model is served.
        Harness restored = build(1, 128, 1, 0, Set.of("mem://v2"));
        restored.harness().initializeState(snapshot);
        restored.harness().open();
        assertThat(restored.operator().metrics().modelVersion.getValue()).isEqualTo(1);
        assertThat(restored.operator().metrics().pinnedModelVersion.getValue()).as("pin withdrawn").isEqualTo(-1);
        announce(restored, 4, "mem://v4");
        awaitModelLoad(restored);
        assertThat(restored.operator().metrics().modelVersion.getValue()).as("announcements served again")
                .isEqualTo(4);
    }

    @Test
    void thePinAndTheRememberedVersionsSurviveARestore() throws Exception {
        Harness h = open(1);
        announce(h, 2, "mem://v2");
        awaitModelLoad(h);
        control(h, ServingControlCommand.PIN_MODEL_VERSION, 1L, null);
        awaitModelLoad(h);
        announce(h, 3, "mem://v3");         // remembered only
        OperatorSubtaskState snapshot = h.harness().snapshot(1, 1);

        Harness restored = build(1, 128, 1, 0);
        restored.harness().initializeState(snapshot);
        restored.harness().open();
        assertThat(restored.loads()).as("the pinned version is loaded first").containsExactly("mem://v1");
        assertThat(restored.operator().metrics().pinnedModelVersion.getValue()).isEqualTo(1);
        event(restored, "a", "i0", 100);
        assertThat(last(restored).getModelVersion()).isEqualTo(1);

        control(restored, ServingControlCommand.UNPIN_MODEL_VERSION, null, null);
        awaitModelLoad(restored);
        // v3 was announced before the checkpoint; the topic will not deliver it again.
        assertThat(restored.operator().metrics().modelVersion.getValue()).isEqualTo(3);
        control(restored, ServingControlCommand.PIN_MODEL_VERSION, 2L, null);
        awaitModelLoad(restored);
        assertThat(restored.operator().metrics().modelVersion.getValue()).isEqualTo(2);
    }

    @Test
    void deleteUserClearsStateAndTimerOnTheOwningSubtaskOnlyAndLogsNoRawId() throws Exception {
        int maxParallelism = 128;
        String deleted = "alice@example.com";
        int owner = KeyGroupRangeAssignment.assignKeyToParallelOperator(deleted, maxParallelism, 2);
        // Another user on the same subtask, whose state must stay.
        String kept = IntStream.range(0, 1_000).mapToObj(i -> "bob-" + i)
                .filter(u -> KeyGroupRangeAssignment.assignKeyToParallelOperator(u, maxParallelism, 2) == owner)
                .findFirst().orElseThrow();
        Harness owning = build(128, maxParallelism, 2, owner);
        Harness other = build(128, maxParallelism, 2, 1 - owner);
        owning.harness().open();
        other.harness().open();

        try (LogCapture logs = LogCapture.capture()) {
            event(owning, deleted, "i0", 100);   // both wait in the micro-batch
            event(owning, kept, "i1", 100);
            control(owning, ServingControlCommand.DELETE_USER, null, deleted);
            control(other, ServingControlCommand.DELETE_USER, null, deleted);

            // The event that came before the deletion is still answered, once.
            assertThat(output(owning)).extracting(Recommendation::getUserId).containsExactly(deleted, kept);
            assertThat(owning.operator().metrics().userDeletions.getCount()).isEqualTo(1);
            assertThat(other.operator().metrics().userDeletions.getCount()).isZero();
            assertThat(owning.harness().numEventTimeTimers()).as("only the kept user's session timer").isEqualTo(1);
            assertThat(owning.harness().numKeyedStateEntries()).as("the kept user's session (with its last list)")
                    .isEqualTo(1);

            event(owning, deleted, "i1", 200);   // within the gap, yet a new session: nothing of the old one is left
            event(owning, kept, "i2", 200);
            owning.harness().prepareSnapshotPreBarrier(1);
            assertThat(output(owning)).extracting(Recommendation::getSessionId)
                    .containsExactly(deleted + "@100", kept + "@100", deleted + "@200", kept + "@100");
            assertThat(owning.operator().metrics().prequential.predictions()).as("only the kept user's event is checked")
                    .isEqualTo(1);

            assertThat(logs.lines()).anySatisfy(l -> assertThat(l)
                    .contains("deleted the state of user " + UserIdHash.of(deleted), "had a live session: true"));
            assertThat(logs.lines()).isNotEmpty().noneSatisfy(l -> assertThat(l).contains(deleted));
            assertThat(logs.lines()).noneSatisfy(l -> assertThat(l).contains(kept));
        }
    }
}
