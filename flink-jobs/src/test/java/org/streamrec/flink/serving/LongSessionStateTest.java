package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.ServingControl;

/**
 * One user sends 100,000 events in one session (100 ms apart, never a gap): every event is answered exactly once,
 * and the operator's keyed state does not grow with the session. The state size is read the way Flink sees it, as
 * the size of the keyed-state snapshot a checkpoint writes; {@code --max-session-items} caps the stored item
 * history, and everything else in a session (GRU hidden vector, last recommendations, one session timer) has a
 * fixed size.
 */
class LongSessionStateTest {

    private static final int EVENTS = 100_000;
    private static final int MAX_SESSION_ITEMS = 50;
    private static final long THIRTY_MINUTES = 30 * 60_000L;

    @Test
    void aUserWith100kEventsInOneSessionKeepsBoundedStateAndEveryEventIsAnswered() throws Exception {
        SessionRecommenderOperator operator = new SessionRecommenderOperator(
                new SessionSettings(3, THIRTY_MINUTES, 24 * 3_600_000L, MAX_SESSION_ITEMS, 128, 5, false),
                new TestModels(), "mem://v1");
        try (KeyedTwoInputStreamOperatorTestHarness<String, ClickEvent, Either<ModelAnnouncement, ServingControl>, Recommendation> harness =
                     new KeyedTwoInputStreamOperatorTestHarness<>(operator, ClickEvent::getUserId, null, Types.STRING)) {
            harness.open();
            Random random = new Random(100_000);
            Set<String> answered = new HashSet<>();
            Set<String> sessions = new HashSet<>();
            int duplicates = 0;
            long[] stateBytes = new long[2];
            long start = Instant.parse("2026-11-23T00:00:00Z").toEpochMilli();
            for (int i = 0; i < EVENTS; i++) {
                long time = start + i * 100L;
                ClickEvent e = ClickEvent.newBuilder()
                        .setEventId("heavy-" + i)
                        .setUserId("heavy-user")
                        .setItemId("i" + random.nextInt(TestModels.ITEMS))
                        .setEventType(EventType.VIEW)
                        .setEventTime(Instant.ofEpochMilli(time))
                        .build();
                harness.processElement1(new StreamRecord<>(e, time));
                if (i == 2 * MAX_SESSION_ITEMS - 1) {
                    flushBatch(harness);
                    stateBytes[0] = keyedStateBytes(harness.snapshot(1, 1));
                }
                if (i % 10_000 == 9_999) {
                    // Counted and dropped as we go: the harness would otherwise keep all 100k outputs in memory.
                    for (Recommendation r : harness.extractOutputValues()) {
                        if (!answered.add(r.getTriggeringEventId())) {
                            duplicates++;
                        }
                        sessions.add(r.getSessionId());
                    }
                    harness.getOutput().clear();
                }
            }
            flushBatch(harness);
            stateBytes[1] = keyedStateBytes(harness.snapshot(2, 2));
            for (Recommendation r : harness.extractOutputValues()) {
                if (!answered.add(r.getTriggeringEventId())) {
                    duplicates++;
                }
                sessions.add(r.getSessionId());
            }
            System.out.printf("[fault-counts] long-session: events=%d answered=%d duplicated=%d sessions=%d "
                            + "keyed-state bytes after %d events=%d, after %d events=%d%n", EVENTS, answered.size(),
                    duplicates, sessions.size(), 2 * MAX_SESSION_ITEMS, stateBytes[0], EVENTS, stateBytes[1]);

            assertThat(answered).hasSize(EVENTS);
            assertThat(duplicates).isZero();
            assertThat(sessions).as("one session throughout").hasSize(1);
            assertThat(stateBytes[0]).isPositive();
            // Item ids all have the same length here, so a bounded state is exactly the same size.
            assertThat(stateBytes[1]).as("keyed state after 100k events vs after %d", 2 * MAX_SESSION_ITEMS)
                    .isEqualTo(stateBytes[0]);
        }
    }

    @Test
    void theItemHistoryKeepsOnlyTheNewestItems() {
        String[] items = new String[0];
        for (int i = 0; i < 1_000; i++) {
            items = Sessions.appendBounded(items, "item-" + i, MAX_SESSION_ITEMS);
        }
        assertThat(items).hasSize(MAX_SESSION_ITEMS);
        assertThat(items[0]).isEqualTo("item-950");
        assertThat(items[MAX_SESSION_ITEMS - 1]).isEqualTo("item-999");
    }

    /** Lets the micro-batch's processing-time bound fire, so the last event's request is scored and answered. */
    private static void flushBatch(KeyedTwoInputStreamOperatorTestHarness<?, ?, ?, ?> harness) throws Exception {
        harness.setProcessingTime(harness.getProcessingTime() + 10);
    }

    private static long keyedStateBytes(OperatorSubtaskState snapshot) {
        long bytes = 0;
        for (KeyedStateHandle handle : snapshot.getManagedKeyedState()) {
            bytes += handle.getStateSize();
        }
        for (KeyedStateHandle handle : snapshot.getRawKeyedState()) {
            bytes += handle.getStateSize();
        }
        return bytes;
    }
}
