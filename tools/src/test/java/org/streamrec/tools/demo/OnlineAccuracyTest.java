package org.streamrec.tools.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.streamrec.data.EventType;
import org.streamrec.data.Session;
import org.streamrec.tools.replay.ClickEventFactory;
import org.streamrec.tools.replay.ReplayClock;

class OnlineAccuracyTest {

    private static Session session(String id, long start, String... items) {
        long[] times = new long[items.length];
        for (int i = 0; i < items.length; i++) {
            times[i] = start + i * 10L;
        }
        return new Session(id, null, List.of(items), times, Collections.nCopies(items.length, EventType.CLICK));
    }

    @Test
    void judgesEachAnswerAgainstTheNextItemOfItsSessionWithinTheCutOff() {
        OnlineAccuracy accuracy = new OnlineAccuracy(Map.of("e1", "x", "e2", "y", "e3", "z"), 3);

        accuracy.record("e1", List.of("x", "a", "b"), true);       // rank 1
        accuracy.record("e2", List.of("a", "b", "y"), true);       // rank 3
        accuracy.record("e3", List.of("a", "b", "c", "z"), true);  // rank 4: beyond k = 3, a miss
        accuracy.record("last", List.of("q"), true);               // no next item: not a prediction

        assertThat(accuracy.predictions()).isEqualTo(3);
        assertThat(accuracy.answered()).isEqualTo(4);
        assertThat(accuracy.hitRate()).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(accuracy.mrr()).isCloseTo((1 + 1.0 / 3) / 3, within(1e-12));
    }

    @Test
    void aRepeatedAnswerCountsOnceAndIsReportedAsADuplicate() {
        OnlineAccuracy accuracy = new OnlineAccuracy(Map.of("e1", "x"), 20);

        assertThat(accuracy.record("e1", List.of("x"), true)).isEqualTo(1);
        assertThat(accuracy.record("e1", List.of("y"), true)).as("a repeat answers nothing new").isEqualTo(1);
        assertThat(accuracy.record("stranger", List.of("x"), false)).isEqualTo(2);

        assertThat(accuracy.answered()).isEqualTo(2);
        assertThat(accuracy.duplicates()).isEqualTo(1);
        assertThat(accuracy.unknownTriggers()).isEqualTo(1);
        assertThat(accuracy.hitRate()).isEqualTo(1.0);
    }

    @Test
    void planKnowsEveryEventToBeSentAndTheNextItemOnlyWhenThatEventIsSentToo() {
        ClickEventFactory factory = new ClickEventFactory("t", ReplayClock.epochMillis());
        List<Session> sessions = List.of(session("1", 100, "a", "b", "c"), session("2", 105, "d", "e"));

        ReplayPlan full = ReplayPlan.of(sessions, Long.MAX_VALUE, factory);
        // Time order: 1-0 (100), 2-0 (105), 1-1 (110), 2-1 (115), 1-2 (120).
        assertThat(full.events()).extracting(e -> factory.eventId(e.session(), e.position()))
                .containsExactly("t-1-0", "t-2-0", "t-1-1", "t-2-1", "t-1-2");
        assertThat(full.nextItemByEventId()).containsOnly(
                Map.entry("t-1-0", "b"), Map.entry("t-1-1", "c"), Map.entry("t-2-0", "e"));
        assertThat(full.userByEventId()).containsEntry("t-2-1", "t-s2");

        ReplayPlan limited = ReplayPlan.of(sessions, 3, factory);
        assertThat(limited.eventIds()).containsExactlyInAnyOrder("t-1-0", "t-2-0", "t-1-1");
        assertThat(limited.nextItemByEventId()).containsOnly(Map.entry("t-1-0", "b"));
    }
}
