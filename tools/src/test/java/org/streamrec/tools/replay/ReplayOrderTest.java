package org.streamrec.tools.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.EventType;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;

class ReplayOrderTest {

    private static Session session(String id, long... times) {
        List<String> items = new ArrayList<>();
        for (int i = 0; i < times.length; i++) {
            items.add(id + i);
        }
        return new Session(id, null, items, times, Collections.nCopies(times.length, EventType.CLICK));
    }

    private static List<String> replayOrder(List<Session> sessions) {
        List<String> order = new ArrayList<>();
        new TimeOrderedEvents(sessions).forEachRemaining(e -> order.add(e.itemId()));
        return order;
    }

    @Test
    void interleavesSessionsByEventTime() {
        List<Session> sessions = List.of(
                session("a", 10, 30, 50),
                session("b", 20, 25, 60),
                session("c", 5, 70));

        assertThat(replayOrder(sessions)).containsExactly("c0", "a0", "b0", "b1", "a1", "a2", "b2", "c1");
    }

    @Test
    void aTimestampGoingBackwardsInsideASessionNeitherReordersItNorPullsItAhead() {
        // d's second event claims t=15, before b0 and a1; it still follows d0 (t=40) and is merged at t=40.
        List<Session> sessions = List.of(
                session("a", 10, 30, 50),
                session("d", 12, 40, 15, 45),
                session("b", 20, 41));

        TimeOrderedEvents events = new TimeOrderedEvents(sessions);
        List<String> order = new ArrayList<>();
        List<Long> effectiveTimes = new ArrayList<>();
        events.forEachRemaining(e -> {
            order.add(e.itemId());
            effectiveTimes.add(events.lastEffectiveTime());
        });

        assertThat(order).containsExactly("a0", "d0", "b0", "a1", "d1", "d2", "b1", "d3", "a2");
        assertThat(effectiveTimes).containsExactly(10L, 12L, 20L, 30L, 40L, 40L, 41L, 45L, 50L);
    }

    @Test
    void equalTimesGoToTheEarlierSessionInTheList() {
        List<Session> sessions = List.of(session("x", 7, 7), session("y", 7, 7), session("z", 3, 7));

        assertThat(replayOrder(sessions)).containsExactly("z0", "x0", "x1", "y0", "y1", "z1");
    }

    @Test
    void emptySessionsAndAnEmptyListYieldNothing() {
        assertThat(replayOrder(List.of())).isEmpty();
        assertThat(replayOrder(List.of(session("e"), session("f", 1)))).containsExactly("f0");
    }

    @Test
    void onRsc15TestEveryEventComesOnceInNonDecreasingTimeAndEachSessionInItsOwnOrder() throws IOException {
        Path file = Path.of(System.getProperty("streamrec.data.dir"), "rsc15-100k", "yoochoose-clicks-100k_test.txt");
        SessionDataset data = DatasetReaders.read(file);

        TimeOrderedEvents events = new TimeOrderedEvents(data.sortedByStartTime());
        Map<String, Integer> nextPosition = new HashMap<>();
        long count = 0;
        long previousTime = Long.MIN_VALUE;
        boolean timesNonDecreasing = true;
        boolean sessionOrderKept = true;
        while (events.hasNext()) {
            SessionEvent e = events.next();
            count++;
            timesNonDecreasing &= e.datasetTime() >= previousTime;
            previousTime = e.datasetTime();
            int expected = nextPosition.getOrDefault(e.session().sessionId(), 0);
            sessionOrderKept &= e.position() == expected;
            nextPosition.put(e.session().sessionId(), expected + 1);
        }

        assertThat(count).isEqualTo(13_568L).isEqualTo(data.eventCount());
        assertThat(sessionOrderKept).as("every session's events in position order 0, 1, 2, ...").isTrue();
        assertThat(timesNonDecreasing).as("rsc15 sessions have increasing times, so the merge is globally sorted").isTrue();
        assertThat(nextPosition).hasSize(data.sessionCount());
        data.sessions().forEach(s -> assertThat(nextPosition.get(s.sessionId())).isEqualTo(s.length()));
    }
}
