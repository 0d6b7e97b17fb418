package org.streamrec.flink.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.flink.model.CollectingAnnouncementSink;
import org.streamrec.flink.model.SnapshotStore;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.ModelSnapshot;

/**
 * The trainer operator in a test harness, started from scratch: checkpoint-only snapshots (no publication is due, so
 * nothing is announced), restore from one, growth of the vocabulary, clean-up of old ones; and, with publication
 * due, when versions reach the announcement sink. Announcements go to a {@link CollectingAnnouncementSink}, so no
 * broker is needed ({@code TrainerAnnouncementIT} runs the same protocol against Kafka).
 */
class TrainerFunctionTest {

    @TempDir
    Path dir;

    private final CollectingAnnouncementSink announcements = new CollectingAnnouncementSink();

    private TrainerSettings settings() {
        return new TrainerSettings(dir.resolve("store").toUri().toString(), null,
                Map.of("layers", "8", "batch_size", "4", "n_sample", "16"), Long.MAX_VALUE, Long.MAX_VALUE, 50,
                30 * 60_000L, 2, 0);
    }

    private OneInputStreamOperatorTestHarness<ClickEvent, Void> harness(TrainerSettings settings) throws Exception {
        return new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new TrainerFunction(settings,
                announcements)));
    }

    /** {@code sessions} sessions walking items {@code from..from+length-1}, interleaved. */
    private static void feed(OneInputStreamOperatorTestHarness<ClickEvent, Void> h, String prefix, int sessions,
                             int from, int length) throws Exception {
        for (int step = 0; step < length; step++) {
            for (int s = 0; s < sessions; s++) {
                String user = prefix + s;
                h.processElement(ClickEvent.newBuilder().setEventId(user + "-" + step).setUserId(user)
                        .setSessionId(null).setItemId("i" + (from + step)).setEventType(EventType.VIEW)
                        .setEventTime(Instant.ofEpochSecond(1_000 + step)).build(), 0L);
            }
        }
    }

    @Test
    void startsFromScratchAndRestoresFromItsCheckpointSnapshot() throws Exception {
        OperatorSubtaskState state;
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(settings())) {
            h.open();
            feed(h, "u", 10, 0, 5); // 10 sessions over items i0..i4: 40 pairs
            state = h.snapshot(1, 1);
        }
        Path chk1 = dir.resolve("store/checkpoints/chk-1");
        ModelSnapshot.Manifest m1 = ModelSnapshot.readManifest(chk1);
        assertThat(m1.itemCount()).isEqualTo(5);
        assertThat(m1.eventsSeen()).isEqualTo(40);
        assertThat(m1.version()).isZero(); // nothing published
        assertThat(m1.optimizerState()).isTrue();

        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(settings())) {
            h.initializeState(state);
            h.open();
            // The same users continue: their sessions go on from i4, so each event is a pair; i5..i6 are new.
            feed(h, "u", 10, 5, 2);
            h.snapshot(2, 2);
            h.notifyOfCompletedCheckpoint(2);
        }
        ModelSnapshot.Manifest m2 = ModelSnapshot.readManifest(dir.resolve("store/checkpoints/chk-2"));
        assertThat(m2.itemCount()).isEqualTo(7);
        assertThat(m2.eventsSeen()).isEqualTo(40 + 20);
        Gru4RecModel model = ModelSnapshot.load(dir.resolve("store/checkpoints/chk-2"));
        assertThat(model.vocabulary().indexOf("i6")).isEqualTo(6);
        assertThat(model.popularityOf(6)).isEqualTo(10);
        // Retention (2 checkpoint snapshots) counts the first run's chk-1 too.
        assertThat(Files.exists(chk1)).isTrue();
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(settings())) {
            h.initializeState(state);
            h.open();
            feed(h, "u", 10, 5, 2);
            h.snapshot(3, 3);
            h.notifyOfCompletedCheckpoint(3);
        }
        assertThat(Files.exists(chk1)).as("older than the 2 newest").isFalse();
        assertThat(dir.resolve("store/checkpoints/chk-2")).exists();
        assertThat(dir.resolve("store/checkpoints/chk-3")).exists();
        assertThat(announcements.sent()).as("no publication was due").isEmpty();
    }

    @Test
    void aCheckpointBeforeAnyEventStoresTheEmptyModelAndRestoresFromIt() throws Exception {
        OperatorSubtaskState state;
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(settings())) {
            h.open();
            state = h.snapshot(1, 1);
        }
        assertThat(ModelSnapshot.readManifest(dir.resolve("store/checkpoints/chk-1")).itemCount()).isZero();
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(settings())) {
            h.initializeState(state);
            h.open();
            feed(h, "u", 6, 0, 3);
            h.snapshot(2, 2);
        }
        ModelSnapshot.Manifest m = ModelSnapshot.readManifest(dir.resolve("store/checkpoints/chk-2"));
        assertThat(m.itemCount()).isEqualTo(3);
        assertThat(m.eventsSeen()).isEqualTo(12);
    }

    /**
     * With dropout and sampled negatives, a run restored from checkpoint 1 ends with exactly the parameters of a run
     * that never stopped: model, Adagrad state, vocabulary, popularity, live sessions, the slots' hidden states and
     * the positions of the random streams all come back.
     */
    @Test
    void aRestoredRunTrainsExactlyLikeAnUninterruptedOne() throws Exception {
        Map<String, String> params = Map.of("layers", "8", "batch_size", "4", "n_sample", "16",
                "dropout_p_embed", "0.25", "dropout_p_hidden", "0.25");
        TrainerSettings straight = new TrainerSettings(dir.resolve("straight").toUri().toString(), null, params,
                Long.MAX_VALUE, Long.MAX_VALUE, 50, 30 * 60_000L, 2, 0);
        TrainerSettings restarted = new TrainerSettings(dir.resolve("restarted").toUri().toString(), null, params,
                Long.MAX_VALUE, Long.MAX_VALUE, 50, 30 * 60_000L, 2, 0);
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(straight)) {
            h.open();
            feed(h, "u", 6, 0, 4);
            h.snapshot(1, 1);
            feed(h, "u", 6, 4, 4);
            h.snapshot(2, 2);
        }
        OperatorSubtaskState state;
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(restarted)) {
            h.open();
            feed(h, "u", 6, 0, 4);
            state = h.snapshot(1, 1);
        }
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(restarted)) {
            h.initializeState(state);
            h.open();
            feed(h, "u", 6, 4, 4);
            h.snapshot(2, 2);
        }
        ModelSnapshot.Manifest a = ModelSnapshot.readManifest(dir.resolve("straight/checkpoints/chk-2"));
        ModelSnapshot.Manifest b = ModelSnapshot.readManifest(dir.resolve("restarted/checkpoints/chk-2"));
        assertThat(a.eventsSeen()).isEqualTo(6 * 7);
        assertThat(b.files()).isEqualTo(a.files()); // names, sizes and SHA-256 of every tensor
    }

    /**
     * The announcement protocol on the injected sink: a version reaches the sink only once the checkpoint that
     * stored it completes; a restore from a checkpoint whose notification never came sends its version; a restore
     * from one whose notification did come finds it announced and does not send it again.
     */
    @Test
    void aVersionReachesTheSinkOnceAndOnlyAfterItsCheckpointCompletes() throws Exception {
        TrainerSettings publishEvery10 = new TrainerSettings(dir.resolve("store").toUri().toString(), null,
                Map.of("layers", "8", "batch_size", "4", "n_sample", "16"), 10, Long.MAX_VALUE, 50, 30 * 60_000L, 3,
                0);
        OperatorSubtaskState afterCheckpoint2;
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(publishEvery10)) {
            h.open();
            feed(h, "u", 5, 0, 4);
            h.snapshot(1, 1);
            assertThat(announcements.sent()).as("written, not yet complete").isEmpty();
            h.notifyOfCompletedCheckpoint(1);
            feed(h, "u", 5, 4, 4);
            afterCheckpoint2 = h.snapshot(2, 2); // version 2 written; its notification never comes
        }
        assertThat(announcements.sent()).extracting(ModelAnnouncement::getVersion).containsExactly(1L);

        OperatorSubtaskState afterCheckpoint3;
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(publishEvery10)) {
            h.initializeState(afterCheckpoint2);
            h.open(); // checkpoint 2 is what we restored from, so it completed: version 2 goes out now
            assertThat(announcements.sent()).extracting(ModelAnnouncement::getVersion).containsExactly(1L, 2L);
            feed(h, "u", 5, 8, 4);
            afterCheckpoint3 = h.snapshot(3, 3);
            h.notifyOfCompletedCheckpoint(3);
        }
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(publishEvery10)) {
            h.initializeState(afterCheckpoint3); // still lists version 3 as pending
            h.open();
            feed(h, "u", 5, 12, 4);
            h.snapshot(4, 4);
            h.notifyOfCompletedCheckpoint(4);
        }
        var sent = announcements.sent();
        assertThat(sent).extracting(ModelAnnouncement::getVersion).containsExactly(1L, 2L, 3L, 4L);
        assertThat(sent).extracting(ModelAnnouncement::getParentVersion).containsExactly(0L, 1L, 2L, 3L);
        for (ModelAnnouncement a : sent) {
            String uri = a.getSnapshotUri().toString();
            try (SnapshotStore.LocalSnapshot local = SnapshotStore.open(uri, false)) {
                SnapshotStore.verifyChecksum(local.dir(), uri, a.getChecksum().toString());
                assertThat(ModelSnapshot.readManifest(local.dir()).version()).isEqualTo(a.getVersion());
            }
        }
        assertThat(sent.get(3).getItemCount()).isEqualTo(16);
        assertThat(sent.get(3).getMetrics()).containsEntry("eventsConsumed", 80.0).containsKey("trainSeconds");
    }
}
