package org.streamrec.flink.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.streamrec.avro.ClickEvent;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.EventType;
import org.streamrec.data.ReadReport;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;

class ReplayPlanTest {

    private static Session session(String id, String user, long... times) {
        List<String> items = new ArrayList<>();
        List<EventType> types = new ArrayList<>();
        for (int i = 0; i < times.length; i++) {
            items.add(id + "-item" + i);
            types.add(EventType.CLICK);
        }
        return new Session(id, user, items, times, types);
    }

    private static List<ClickEvent> all(ReplayPlan plan) {
        List<ClickEvent> out = new ArrayList<>();
        plan.forEachRemaining(out::add);
        return out;
    }

    @Test
    void interleavesSessionsByTimeAndKeepsEachSessionsOrder() {
        SessionDataset data = new SessionDataset(List.of(
                session("a", "u1", 10, 30, 50),
                session("b", null, 20, 30, 40),
                session("c", "u3", 5, 1)),  // time goes backwards inside c: order within c must still hold
                new ReadReport("test", 0, 8, 0, List.of()));
        List<ClickEvent> events = all(new ReplayPlan(data, 1_000));
        assertThat(events).extracting(ClickEvent::getEventId)
                .containsExactly("c-0", "c-1", "a-0", "b-0", "a-1", "b-1", "b-2", "a-2");
        assertThat(events.get(0).getEventTime().toEpochMilli()).isEqualTo(1_005);
        assertThat(events).filteredOn(e -> e.getSessionId().equals("b"))
                .extracting(ClickEvent::getUserId).containsOnly("s-b");
        assertThat(events.get(2).getUserId()).isEqualTo("u1");
        assertThat(events.get(2).getItemId()).isEqualTo("a-item0");
        assertThat(ReplayPlan.firstEventTime(data)).hasValue(5);
    }

    @Test
    void replaysAWholeRealDatasetOnceInTimeOrder() throws Exception {
        Path file = Path.of(System.getProperty("streamrec.data.dir"), "rsc15-100k", "yoochoose-clicks-100k_test.txt");
        SessionDataset data = DatasetReaders.read(file);
        List<ClickEvent> events = all(new ReplayPlan(data, 0));

        assertThat((long) events.size()).isEqualTo(data.eventCount());
        assertThat(events).extracting(ClickEvent::getEventId).doesNotHaveDuplicates();
        Map<String, Integer> nextPosition = new HashMap<>();
        long previousTime = Long.MIN_VALUE;
        for (ClickEvent e : events) {
            int position = Integer.parseInt(e.getEventId().substring(e.getEventId().lastIndexOf('-') + 1));
            assertThat(position).as("order within session %s", e.getSessionId())
                    .isEqualTo(nextPosition.getOrDefault(e.getSessionId(), 0));
            nextPosition.put(e.getSessionId(), position + 1);
            // rsc15 sessions are time-sorted, so the merged stream is globally time-sorted.
            assertThat(e.getEventTime().toEpochMilli()).isGreaterThanOrEqualTo(previousTime);
            previousTime = e.getEventTime().toEpochMilli();
        }
        assertThat(nextPosition).hasSize(data.sessionCount());
    }
}
