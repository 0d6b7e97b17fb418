package org.streamrec.flink.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.flink.kafka.KafkaAnnouncementSink;
import org.streamrec.tools.kafka.KafkaBrokerExtension;
import org.streamrec.flink.serving.SnapshotModelLoader;

/**
 * The announcement path of the trainer operator against a real broker, in a harness so that the moments between
 * "snapshot written" and "checkpoint complete" can be chosen: nothing is announced before completion; a restore
 * from a checkpoint whose notification never arrived announces its version; a restore from one whose notification
 * did arrive does not announce it again; a version is never reused.
 */
class TrainerAnnouncementIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir
    Path dir;

    private TrainerSettings settings(String topic) {
        return new TrainerSettings(dir.resolve("store").toUri().toString(), null,
                Map.of("layers", "8", "batch_size", "4", "n_sample", "16"), 10, Long.MAX_VALUE, 50,
                30 * 60_000L, 3, 0);
    }

    private static OneInputStreamOperatorTestHarness<ClickEvent, Void> harness(String topic, TrainerSettings settings)
            throws Exception {
        return new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new TrainerFunction(settings,
                new KafkaAnnouncementSink(KAFKA.bootstrapServers(), topic, "model", Duration.ofSeconds(60)))));
    }

    private static void feed(OneInputStreamOperatorTestHarness<ClickEvent, Void> h, int from, int events)
            throws Exception {
        for (int i = from; i < from + events; i++) {
            String user = "u" + (i % 5);
            h.processElement(ClickEvent.newBuilder().setEventId("e" + i).setUserId(user).setSessionId(null)
                    .setItemId("i" + (i % 7)).setEventType(EventType.VIEW).setEventTime(Instant.ofEpochSecond(i))
                    .build(), 0L);
        }
    }

    private static List<ModelAnnouncement> announcements(String topic, int expected) {
        AvroCodec<ModelAnnouncement> codec = AvroCodec.modelAnnouncements();
        return KAFKA.consumeCommitted(topic, expected, Duration.ofSeconds(expected == 0 ? 2 : 20)).stream()
                .map(r -> ((DecodeResult.Decoded<ModelAnnouncement>) codec.decode(r.value())).value()).toList();
    }

    @Test
    void aVersionIsAnnouncedOnceOnlyAfterItsCheckpointCompletesOrOnRestoreFromThatCheckpoint() throws Exception {
        String topic = "announce-it";
        KAFKA.createTopic(topic, 1);
        OperatorSubtaskState afterCheckpoint2;
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(topic, settings(topic))) {
            h.open();
            feed(h, 0, 20);
            h.snapshot(1, 1);
            assertThat(announcements(topic, 0)).isEmpty(); // written, not yet complete
            h.notifyOfCompletedCheckpoint(1);
            feed(h, 20, 20);
            afterCheckpoint2 = h.snapshot(2, 2); // version 2 written; its notification never comes
        }
        List<ModelAnnouncement> first = announcements(topic, 1);
        assertThat(first).extracting(ModelAnnouncement::getVersion).containsExactly(1L);

        OperatorSubtaskState afterCheckpoint3;
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(topic, settings(topic))) {
            h.initializeState(afterCheckpoint2);
            h.open(); // checkpoint 2 is what we restored from, so it completed: version 2 goes out now
            feed(h, 40, 20);
            afterCheckpoint3 = h.snapshot(3, 3);
            h.notifyOfCompletedCheckpoint(3); // version 3 goes out, then the job fails
        }
        assertThat(announcements(topic, 3)).extracting(ModelAnnouncement::getVersion).containsExactly(1L, 2L, 3L);

        // The state of checkpoint 3 still lists version 3 as pending (it was taken before the notification); the
        // restored trainer finds it on the topic and does not send it again.
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(topic, settings(topic))) {
            h.initializeState(afterCheckpoint3);
            h.open();
            feed(h, 60, 20);
            h.snapshot(4, 4);
            h.notifyOfCompletedCheckpoint(4);
        }
        List<ModelAnnouncement> all = announcements(topic, 4);
        assertThat(all).extracting(ModelAnnouncement::getVersion).containsExactly(1L, 2L, 3L, 4L);
        assertThat(all).extracting(ModelAnnouncement::getParentVersion).containsExactly(0L, 1L, 2L, 3L);
        for (ModelAnnouncement a : all) {
            assertThat(new SnapshotModelLoader().load(a.getSnapshotUri().toString(), a.getChecksum().toString(), 3)
                    .version()).isEqualTo(a.getVersion());
            assertThat(a.getItemCount()).isEqualTo(7);
        }
        assertThat(all.get(2).getTrainingEventsSeen()).isEqualTo(60 - 5); // one first event per user
        assertThat(all.get(3).getMetrics()).containsEntry("eventsConsumed", 80.0)
                .containsEntry("maxEventTimeMillis", 79_000.0).containsKey("trainSeconds");
    }

    @Test
    void aRestoreFromAnOlderCheckpointNumbersAboveEveryVersionInTheStore() throws Exception {
        String topic = "announce-older-it";
        KAFKA.createTopic(topic, 1);
        OperatorSubtaskState checkpoint1;
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(topic, settings(topic))) {
            h.open();
            feed(h, 0, 20);
            checkpoint1 = h.snapshot(1, 1);
            h.notifyOfCompletedCheckpoint(1);
            feed(h, 20, 20);
            h.snapshot(2, 2);
            h.notifyOfCompletedCheckpoint(2);
        }
        // E.g. a savepoint taken at checkpoint 1: the state says version 1, the store already holds version 2.
        try (OneInputStreamOperatorTestHarness<ClickEvent, Void> h = harness(topic, settings(topic))) {
            h.initializeState(checkpoint1);
            h.open();
            feed(h, 20, 20);
            h.snapshot(3, 3);
            h.notifyOfCompletedCheckpoint(3);
        }
        assertThat(announcements(topic, 3)).extracting(ModelAnnouncement::getVersion).containsExactly(1L, 2L, 3L);
    }
}
