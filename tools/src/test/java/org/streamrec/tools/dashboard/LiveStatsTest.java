package org.streamrec.tools.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendationStrategy;
import org.streamrec.avro.RecommendedItem;

/** The dashboard's folding of records and Flink readings into chart points, feeds and the version timeline. */
class LiveStatsTest {

    private static final long T0 = 1_700_000_000_000L;
    private static final long GAP = 30 * 60_000L;

    private static Recommendation rec(String user, String event, long version, long eventTime, long emitTime, String... items) {
        return Recommendation.newBuilder().setTriggeringEventId(event).setUserId(user).setSessionId(user + "-s")
                .setItems(java.util.Arrays.stream(items).map(i -> new RecommendedItem(i, 1f)).toList())
                .setModelVersion(version).setStrategy(RecommendationStrategy.MODEL)
                .setEventTime(Instant.ofEpochMilli(eventTime)).setEmitTime(Instant.ofEpochMilli(emitTime)).build();
    }

    private static FlinkPoller.Reading reading(double eventsIn0, double eventsIn1, double hr0, double n0, double hr1, double n1,
                                               double version0, double version1) {
        return new FlinkPoller.Reading("job", "name", Map.of(
                0, Map.of("eventsIn", eventsIn0, "prequentialHitRate", hr0, "prequentialPredictions", n0,
                        "prequentialMrr", hr0 / 2, "modelVersion", version0,
                        "processingLatencyMs_median", 3.0, "processingLatencyMs_p95", 9.0, "processingLatencyMs_p99", 12.0),
                1, Map.of("eventsIn", eventsIn1, "prequentialHitRate", hr1, "prequentialPredictions", n1,
                        "prequentialMrr", hr1 / 2, "modelVersion", version1,
                        "processingLatencyMs_median", 5.0, "processingLatencyMs_p95", 7.0, "processingLatencyMs_p99", 30.0)),
                4, null);
    }

    @Test
    void oneIntervalGivesRatesPercentilesWeightedAccuracyAndVersions() {
        LiveStats stats = new LiveStats(10, 3, 100, 4_000, GAP, T0);
        for (int i = 1; i <= 100; i++) {
            // emit -> visible = i ms; event time 10 s before emit
            stats.onRecommendation(rec("u" + (i % 7), "e" + i, i <= 50 ? 1 : 2, T0 - 10_000 + i, T0 + i, "a", "b"), T0 + 2 * i);
        }
        LiveStats.Point first = stats.sample(T0 + 2_000, reading(100, 300, 0.5, 10, 0.8, 30, 1, 2));
        assertThat(first.recommendationsPerSec()).isEqualTo(50.0);
        assertThat(first.eventsInPerSec()).as("a counter needs two readings for a rate").isNull();
        assertThat(first.emitToVisible().count()).isEqualTo(100);
        assertThat(first.emitToVisible().p50()).isCloseTo(50, within(0.5));
        assertThat(first.emitToVisible().p99()).isCloseTo(99, within(0.5));
        assertThat(first.eventToVisible().p50()).isCloseTo(10_050, within(10.0));
        assertThat(first.hitRate()).as("weighted by predictions").isCloseTo((0.5 * 10 + 0.8 * 30) / 40, within(1e-9));
        assertThat(first.mrr()).isCloseTo((0.25 * 10 + 0.4 * 30) / 40, within(1e-9));
        assertThat(first.predictions()).isEqualTo(40);
        assertThat(first.operatorProcessing()).as("the worst subtask per percentile")
                .isEqualTo(new LiveStats.Latency(0, 5, 9, 30, Double.NaN));
        assertThat(first.versionRead()).isEqualTo(2);
        assertThat(first.flinkVersionMin()).isEqualTo(1);
        assertThat(first.flinkVersionMax()).isEqualTo(2);

        LiveStats.Point second = stats.sample(T0 + 4_000, reading(200, 600, 0.5, 10, 0.8, 30, 2, 2));
        assertThat(second.eventsInPerSec()).isEqualTo(200.0);
        assertThat(second.recommendationsPerSec()).isZero();
        assertThat(second.emitToVisible()).as("no recommendation read in the interval: a gap, not a zero").isNull();
        assertThat(second.versionRead()).isNull();
        assertThat(stats.points()).containsExactly(first, second);

        assertThat(stats.versionsServed()).containsExactly(new LiveStats.VersionServed(1, T0 + 2, T0 + 100, 50),
                new LiveStats.VersionServed(2, T0 + 102, T0 + 200, 50));
    }

    @Test
    void feedsAreNewestFirstAndBoundedAndTheLeastRecentlyActiveUserIsDropped() {
        LiveStats stats = new LiveStats(2, 3, 2, 4_000, GAP, T0);
        for (int i = 0; i < 5; i++) {
            stats.onRecommendation(rec("alice", "a" + i, 1, T0, T0, "x" + i), T0 + i);
        }
        stats.onRecommendation(rec("bob", "b0", 1, T0, T0, "y"), T0 + 10);
        assertThat(stats.feed("alice")).extracting(LiveStats.FeedRow::eventId).containsExactly("a4", "a3", "a2");
        assertThat(stats.feed("alice").get(0).items()).containsExactly(new LiveStats.Item("x4", 1f));
        assertThat(stats.recentUsers(10)).extracting(LiveStats.UserActivity::userId).containsExactly("bob", "alice");
        assertThat(stats.recentUsers(10).get(1).recommendations()).isEqualTo(5);

        stats.onRecommendation(rec("alice", "a5", 1, T0, T0, "x5"), T0 + 11);
        stats.onRecommendation(rec("carol", "c0", 1, T0, T0, "z"), T0 + 12);
        assertThat(stats.recentUsers(10)).extracting(LiveStats.UserActivity::userId).containsExactly("carol", "alice");
        assertThat(stats.feed("bob")).isEmpty();

        for (int i = 0; i < 4; i++) {
            stats.sample(T0 + 1_000 * (i + 1), null);
        }
        assertThat(stats.points()).as("history bound").hasSize(2);
        assertThat(stats.recommendationsRead()).isEqualTo(8);
    }

    @Test
    void judgesEachEventAgainstThePreviousAnswerOfTheSameSessionWhicheverIsReadFirst() {
        LiveStats stats = new LiveStats(10, 5, 10, 3_000, GAP, T0);
        // u1: answers to e1 and e2 in session s1; e2's item (b) is second in e1's list -> hit at rank 2
        stats.onRecommendation(rec("u1", "e1", 1, T0, T0, "a", "b", "c"), T0 + 1);
        stats.onEvent("e2", "b");
        stats.onRecommendation(rec("u1", "e2", 1, T0, T0, "d", "e"), T0 + 2);
        // the answer to e3 is read before e3 itself: judged once e3 arrives (item x: a miss)
        stats.onRecommendation(rec("u1", "e3", 1, T0, T0, "f"), T0 + 3);
        assertThat(stats.outputAccuracy().predictions()).isEqualTo(1);
        stats.onEvent("e3", "x");
        // u2's first answer has nothing before it in its session: not judged
        stats.onEvent("f1", "a");
        stats.onRecommendation(rec("u2", "f1", 1, T0, T0, "a"), T0 + 4);
        // a new session of u1 (another session id) is not judged against the old session's list
        stats.onEvent("g1", "f");
        stats.onRecommendation(Recommendation.newBuilder(rec("u1", "g1", 1, T0, T0, "z")).setSessionId("other").build(), T0 + 5);

        assertThat(stats.outputAccuracy()).isEqualTo(new LiveStats.OutputAccuracy(2, 1, 0.5, 0.25));
        LiveStats.Point first = stats.sample(T0 + 1_000, null);
        assertThat(first.outputPredictions()).isEqualTo(2);
        assertThat(first.outputHitRate()).isEqualTo(0.5);
        assertThat(first.outputMrr()).isEqualTo(0.25);

        // the same session id after more than the gap of event time: the job started a new session, nothing judged
        stats.onEvent("g2", "z");
        stats.onRecommendation(Recommendation.newBuilder(rec("u1", "g2", 1, T0 + GAP + 1, T0, "z")).setSessionId("other").build(), T0 + 6);
        assertThat(stats.outputAccuracy().predictions()).isEqualTo(2);
        // e4 comes in u1's first session again, but the previous answer (to g1) belonged to session 'other'
        stats.onEvent("e4", "f");
        stats.onRecommendation(rec("u1", "e4", 1, T0, T0, "q"), T0 + 1_500);
        LiveStats.Point second = stats.sample(T0 + 2_000, null);
        assertThat(stats.outputAccuracy().predictions()).isEqualTo(2);
        assertThat(second.outputPredictions()).as("the 3 s window still holds the first interval").isEqualTo(2);
        assertThat(second.outputHitRate()).isEqualTo(0.5);
        LiveStats.Point third = stats.sample(T0 + 4_500, null);
        assertThat(third.outputPredictions()).as("the first interval left the window").isZero();
        assertThat(third.outputHitRate()).as("nothing judged in the window: a gap").isNull();
    }

    @Test
    void announcementsAreKeptInArrivalOrder() {
        LiveStats stats = new LiveStats(2, 3, 2, 4_000, GAP, T0);
        for (long v = 1; v <= 2; v++) {
            stats.onAnnouncement(ModelAnnouncement.newBuilder().setVersion(v).setParentVersion(v == 1 ? null : v - 1)
                    .setSnapshotUri("file:///m/v" + v).setChecksum("c").setItemCount(10).setTrainingEventsSeen(100 * v)
                    .setCreatedTime(Instant.ofEpochMilli(T0 + v)).setMetrics(Map.of("trainingLoss", 1.5)).build(), T0 + 10 * v);
        }
        assertThat(stats.announcements()).extracting(LiveStats.AnnouncementRow::version).containsExactly(1L, 2L);
        assertThat(stats.announcements().get(1).parentVersion()).isEqualTo(1L);
        assertThat(stats.announcements().get(1).readTime()).isEqualTo(T0 + 20);
        assertThat(stats.announcements().get(1).metrics()).containsEntry("trainingLoss", 1.5);
    }
}
