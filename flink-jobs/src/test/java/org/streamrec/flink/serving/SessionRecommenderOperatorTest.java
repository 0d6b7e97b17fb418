package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.List;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedTwoInputStreamOperatorTestHarness;
import org.apache.flink.types.Either;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendationStrategy;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.avro.ServingControl;

/**
 * Harness tests of {@link SessionRecommenderOperator} with {@link TestModels}: under model v1 the recommendations
 * after item {@code iA} are {@code i(A+1), i(A+2), ...} (mod 6), so every expected list below is checkable by hand.
 */
class SessionRecommenderOperatorTest {

    private static final long GAP = 1_000;
    private static final long DELAY = 5;

    private KeyedTwoInputStreamOperatorTestHarness<String, ClickEvent, Either<ModelAnnouncement, ServingControl>, Recommendation> harness;
    private SessionRecommenderOperator operator;
    private TestModels models;
    private int eventSeq;

    @AfterEach
    void close() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    private void open(int k, int batchMaxSize, boolean excludeSeen) throws Exception {
        harness = build(k, batchMaxSize, excludeSeen);
        harness.open();
    }

    private KeyedTwoInputStreamOperatorTestHarness<String, ClickEvent, Either<ModelAnnouncement, ServingControl>, Recommendation> build(
            int k, int batchMaxSize, boolean excludeSeen) throws Exception {
        models = new TestModels();
        operator = new SessionRecommenderOperator(
                new SessionSettings(k, GAP, 60_000, 50, batchMaxSize, DELAY, excludeSeen), models, "mem://v1");
        // Input 2 is broadcast, not keyed: no key selector, as ConnectedStreams.transform sets it up in the job.
        return new KeyedTwoInputStreamOperatorTestHarness<>(operator, ClickEvent::getUserId, null, Types.STRING);
    }

    private CyclicTestScorer scorer() {
        return models.loaded.get(models.loaded.size() - 1);
    }

    private void event(String user, String item, long time) throws Exception {
        event(user, item, time, null);
    }

    private void event(String user, String item, long time, String sessionId) throws Exception {
        ClickEvent e = ClickEvent.newBuilder()
                .setEventId("e" + (++eventSeq))
                .setUserId(user)
                .setSessionId(sessionId)
                .setItemId(item)
                .setEventType(EventType.VIEW)
                .setEventTime(Instant.ofEpochMilli(time))
                .build();
        harness.processElement1(new StreamRecord<>(e, time));
    }

    private void announce(long version, String uri) throws Exception {
        harness.processElement2(new StreamRecord<>(Either.Left(ModelAnnouncement.newBuilder()
                .setVersion(version)
                .setParentVersion(version - 1)
                .setSnapshotUri(uri)
                .setChecksum("test")
                .setItemCount(TestModels.ITEMS)
                .setTrainingEventsSeen(0)
                .setCreatedTime(Instant.EPOCH)
                .build())));
    }

    /** Lets the loader thread finish, then advances processing time to the operator's next check of the load. */
    private void awaitModelLoad() throws Exception {
        operator.awaitModelLoad();
        harness.setProcessingTime(harness.getProcessingTime() + ServingModels.MODEL_LOAD_POLL_MS);
    }

    private List<Recommendation> output() {
        return harness.extractOutputValues();
    }

    private static List<String> items(Recommendation r) {
        return r.getItems().stream().map(RecommendedItem::getItemId).toList();
    }

    @Test
    void batchFlushesAtMaxSizeWithOneScoringCallAndOneRecommendationPerEvent() throws Exception {
        open(3, 3, false);
        event("a", "i0", 100);
        event("b", "i1", 100);
        assertThat(output()).isEmpty();
        event("c", "i4", 100);

        List<Recommendation> out = output();
        assertThat(out).extracting(Recommendation::getTriggeringEventId).containsExactly("e1", "e2", "e3");
        assertThat(items(out.get(0))).containsExactly("i1", "i2", "i3");
        assertThat(items(out.get(1))).containsExactly("i2", "i3", "i4");
        assertThat(items(out.get(2))).containsExactly("i5", "i0", "i1");
        assertThat(out.get(0).getItems().get(0).getScore()).isEqualTo(0f);
        assertThat(out.get(0).getItems().get(1).getScore()).isEqualTo(-1f);
        assertThat(out).allSatisfy(r -> {
            assertThat(r.getStrategy()).isEqualTo(RecommendationStrategy.MODEL);
            assertThat(r.getModelVersion()).isEqualTo(1);
            assertThat(r.getEventTime()).isEqualTo(Instant.ofEpochMilli(100));
        });
        assertThat(out.get(0).getSessionId()).isEqualTo("a@100");
        assertThat(scorer().batchRows).containsExactly(3);
        // Output keeps the event time as record timestamp.
        assertThat(harness.extractOutputStreamRecords()).allSatisfy(r -> assertThat(r.getTimestamp()).isEqualTo(100));
    }

    @Test
    void batchFlushesWhenTheTimeBoundFires() throws Exception {
        open(3, 128, false);
        harness.setProcessingTime(1_000);
        event("a", "i0", 100);
        event("b", "i2", 100);
        harness.setProcessingTime(1_000 + DELAY - 1);
        assertThat(output()).isEmpty();
        harness.setProcessingTime(1_000 + DELAY);
        assertThat(output()).extracting(Recommendation::getTriggeringEventId).containsExactly("e1", "e2");
        assertThat(scorer().batchRows).containsExactly(2);
        assertThat(output()).allSatisfy(r -> assertThat(r.getEmitTime()).isEqualTo(Instant.ofEpochMilli(1_005)));

        // The next batch gets its own bound, counted from its first request.
        harness.setProcessingTime(2_000);
        event("a", "i1", 200);
        harness.setProcessingTime(2_000 + DELAY);
        assertThat(output()).hasSize(3);
        assertThat(scorer().batchRows).containsExactly(2, 1);
    }

    @Test
    void batchFlushesBeforeTheCheckpointBarrierSoNothingCrossesIt() throws Exception {
        open(3, 128, false);
        event("a", "i0", 100);
        event("b", "i1", 100);
        assertThat(operator.pendingRequests()).isEqualTo(2);
        harness.prepareSnapshotPreBarrier(1);
        assertThat(operator.pendingRequests()).isZero();
        assertThat(output()).hasSize(2);
        assertThat(scorer().batchRows).containsExactly(2);
    }

    @Test
    void batchFlushesBeforeAWatermarkAndAtEndOfInput() throws Exception {
        open(3, 128, false);
        event("a", "i0", 100);
        harness.processWatermark1(new Watermark(150));
        List<Object> raw = List.copyOf(harness.getOutput());
        assertThat(raw).hasSize(2);
        assertThat(raw.get(0)).isInstanceOf(StreamRecord.class);
        assertThat(raw.get(1)).isEqualTo(new Watermark(150));

        event("b", "i0", 200);
        harness.endAllInputs();
        assertThat(output()).hasSize(2);
    }

    @Test
    void sameUserConflictFlushesFirstSoThePrequentialCheckSeesTheLatestRecommendations() throws Exception {
        open(3, 128, false);
        event("a", "i0", 100);  // recs for a: i1, i2, i3 (pending)
        event("b", "i3", 100);
        assertThat(output()).isEmpty();
        event("a", "i1", 200);  // a is pending: flush [a, b] first, then check i1 against i1, i2, i3
        assertThat(output()).extracting(Recommendation::getTriggeringEventId).containsExactly("e1", "e2");
        assertThat(scorer().batchRows).containsExactly(2);
        assertThat(operator.metrics().prequential.predictions()).isEqualTo(1);
        assertThat(operator.metrics().prequential.hits()).isEqualTo(1);
        harness.prepareSnapshotPreBarrier(1);
        assertThat(output()).extracting(Recommendation::getTriggeringEventId).containsExactly("e1", "e2", "e3");
    }

    @Test
    void prequentialHitRateAndMrrOnAHandCheckedSequence() throws Exception {
        open(3, 128, false);
        event("a", "i0", 100);  // first of the session: not checked;    recs i1 i2 i3
        event("a", "i2", 200);  // rank 2: hit, rr 1/2;                  recs i3 i4 i5
        event("a", "i0", 300);  // not in i3 i4 i5: miss;                recs i1 i2 i3
        event("b", "i5", 300);  // first of b's session: not checked;    recs i0 i1 i2
        event("a", "i1", 400);  // rank 1: hit, rr 1
        event("b", "i2", 400);  // rank 3: hit, rr 1/3
        harness.prepareSnapshotPreBarrier(1);

        PrequentialMetrics m = operator.metrics().prequential;
        assertThat(m.predictions()).isEqualTo(4);
        assertThat(m.hits()).isEqualTo(3);
        assertThat(m.hitRate()).isEqualTo(0.75);
        assertThat(m.mrr()).isCloseTo((0.5 + 0 + 1 + 1.0 / 3) / 4, within(1e-12));
        assertThat(output()).hasSize(6);
    }

    @Test
    void stateAndTimersAreEmptyAfterTheSessionGap() throws Exception {
        open(3, 128, false);
        event("a", "i0", 100);
        event("a", "i1", 600);
        event("b", "i2", 700);
        harness.prepareSnapshotPreBarrier(1);
        assertThat(harness.numEventTimeTimers()).isEqualTo(2);  // one per user, set at its first event
        assertThat(harness.numKeyedStateEntries()).isEqualTo(2);  // one session (with its last recommendations) per user

        harness.processWatermark1(new Watermark(600 + GAP - 1));
        assertThat(harness.numEventTimeTimers()).isEqualTo(2);
        harness.processWatermark1(new Watermark(700 + GAP));
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(harness.numKeyedStateEntries()).isZero();

        // The next event starts a fresh session: not checked against the closed session's recommendations.
        event("a", "i1", 5_000);
        harness.prepareSnapshotPreBarrier(2);
        assertThat(operator.metrics().prequential.predictions()).isEqualTo(1);  // only e2 was checked
        Recommendation last = output().get(output().size() - 1);
        assertThat(last.getSessionId()).isEqualTo("a@5000");
    }

    @Test
    void sessionTimerIsSetOncePerGapNotMovedOnEveryEventAndTheSessionStillEndsOnTime() throws Exception {
        open(3, 1, false);
        event("a", "i0", 100);
        event("a", "i1", 200);
        event("a", "i2", 300);
        // Still the first event's timer: events do not touch the timer while it is due before the session's end.
        assertThat(operator.sessionTimerOf("a")).isEqualTo(100 + GAP);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        harness.processWatermark1(new Watermark(100 + GAP));  // fires early: the session went on, so it is set again
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        assertThat(operator.sessionTimerOf("a")).isEqualTo(300 + GAP);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        harness.processWatermark1(new Watermark(300 + GAP - 1));
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        harness.processWatermark1(new Watermark(300 + GAP));
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(operator.sessionTimerOf("a")).isZero();
    }

    @Test
    void aNewSessionThatStartsOutOfOrderGetsAnEarlierTimerAndEndsOnTime() throws Exception {
        open(3, 1, false);
        event("a", "i0", 1_000, "s1");
        event("a", "i1", 500, "s2");  // new producer session, event time before the old session's last event
        assertThat(operator.sessionTimerOf("a")).isEqualTo(500 + GAP);
        assertThat(harness.numEventTimeTimers()).isEqualTo(2);  // the old session's timer stays; it is superseded

        harness.processWatermark1(new Watermark(500 + GAP));
        assertThat(harness.numKeyedStateEntries()).isZero();
        harness.processWatermark1(new Watermark(1_000 + GAP));  // the superseded timer finds nothing to clear
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(operator.metrics().sessionsExpired.getCount()).isEqualTo(1);
    }

    @Test
    void sessionTimerThatFiresWhileTheUserIsPendingFlushesBeforeClearing() throws Exception {
        open(3, 128, false);
        event("a", "i0", 100);
        harness.processWatermark1(new Watermark(100 + GAP));
        assertThat(output()).hasSize(1);
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void gapOrProducerSessionChangeStartsANewSessionWithoutWaitingForTheTimer() throws Exception {
        open(3, 1, false);
        event("a", "i0", 100, "s1");
        event("a", "i1", 200, "s1");   // checked: hit
        event("a", "i2", 300, "s2");   // new producer session: not checked
        event("a", "i3", 300 + GAP + 1, "s2");  // gap exceeded: new session, not checked, id derived from time
        event("a", "i4", 300 + GAP + 2);  // no producer id: same session by time, checked (hit, rank 1)
        List<Recommendation> out = output();
        assertThat(out).extracting(Recommendation::getSessionId).containsExactly("s1", "s1", "s2", "s2", "s2");
        assertThat(operator.metrics().prequential.predictions()).isEqualTo(2);
        assertThat(operator.metrics().prequential.hits()).isEqualTo(2);
        assertThat(items(out.get(4))).containsExactly("i5", "i0", "i1");
    }

    @Test
    void coldSessionAndUnknownItemsGetAnAnswer() throws Exception {
        open(3, 1, false);
        event("a", "x", 100);    // nothing known yet: popularity fallback
        event("a", "i0", 200);   // known: model
        event("a", "y", 300);    // unknown, not stepped: model from the state after i0
        List<Recommendation> out = output();
        assertThat(out).extracting(Recommendation::getStrategy).containsExactly(
                RecommendationStrategy.FALLBACK, RecommendationStrategy.MODEL, RecommendationStrategy.MODEL);
        assertThat(items(out.get(0))).containsExactly("i5", "i4", "i3");
        assertThat(out.get(0).getItems().get(0).getScore()).isCloseTo(60f / 210f, within(1e-6f));
        assertThat(items(out.get(1))).containsExactly("i1", "i2", "i3");
        assertThat(items(out.get(2))).containsExactly("i1", "i2", "i3");
        assertThat(scorer().steps).isEqualTo(1);
    }

    @Test
    void excludeSeenDropsTheSessionsItems() throws Exception {
        open(5, 1, true);
        event("a", "i0", 100);
        event("a", "i1", 200);
        assertThat(items(output().get(1))).containsExactly("i2", "i3", "i4", "i5");

        close();
        open(5, 1, false);
        event("a", "i0", 100);
        event("a", "i1", 200);
        assertThat(items(output().get(1))).containsExactly("i2", "i3", "i4", "i5", "i0");
    }

    @Test
    void hotSwapChangesTheModelVersionAndKeepsTheSession() throws Exception {
        open(3, 128, false);
        event("a", "i0", 100);
        event("a", "i2", 200);   // v1 recs after i2: i3 i4 i5
        announce(2, "mem://v2"); // loads on the loader thread; v1 keeps serving meanwhile
        assertThat(operator.metrics().modelVersion.getValue()).isEqualTo(1);
        awaitModelLoad();        // the swap flushes the v1 batch first
        assertThat(output()).extracting(Recommendation::getModelVersion).containsExactly(1L, 1L);
        assertThat(operator.metrics().modelVersion.getValue()).isEqualTo(2);

        event("a", "i4", 300);   // checked against v1's i3 i4 i5: rank 2; then v2 recomputes from i0, i2 and steps i4
        harness.prepareSnapshotPreBarrier(1);
        Recommendation afterSwap = output().get(2);
        assertThat(afterSwap.getModelVersion()).isEqualTo(2);
        assertThat(afterSwap.getSessionId()).isEqualTo("a@100");
        assertThat(items(afterSwap)).containsExactly("i3", "i2", "i1");  // v2 ranks the previous items
        assertThat(scorer().steps).isEqualTo(3);  // recompute of i0, i2 plus the new event
        assertThat(operator.metrics().prequential.predictions()).isEqualTo(2);
        assertThat(operator.metrics().prequential.hits()).isEqualTo(2);
        // e2 (i2) in i1 i2 i3 and e3 (i4) in i3 i4 i5: rank 2 both times.
        assertThat(operator.metrics().prequential.mrr()).isCloseTo(0.5, within(1e-12));

        // Not newer: ignored. Newer but unloadable: the previous model stays.
        announce(2, "mem://v1");
        announce(3, "mem://broken");
        awaitModelLoad();
        assertThat(operator.metrics().modelVersion.getValue()).isEqualTo(2);
        event("a", "i3", 400);
        harness.prepareSnapshotPreBarrier(2);
        assertThat(output().get(3).getModelVersion()).isEqualTo(2);
        assertThat(items(output().get(3))).containsExactly("i2", "i1", "i0");
    }

    @Test
    void restoreReloadsTheModelTheOperatorHadSwappedTo() throws Exception {
        open(3, 128, false);
        event("a", "i0", 100);
        announce(2, "mem://v2");
        awaitModelLoad();
        harness.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();

        harness = build(3, 128, false);
        harness.initializeState(snapshot);
        harness.open();
        assertThat(operator.metrics().modelVersion.getValue()).isEqualTo(2);
        event("a", "i2", 200);   // same session restored: checked against v1's i1 i2 i3 (rank 2)
        harness.prepareSnapshotPreBarrier(2);
        assertThat(output()).hasSize(1);
        assertThat(output().get(0).getModelVersion()).isEqualTo(2);
        assertThat(output().get(0).getSessionId()).isEqualTo("a@100");
        assertThat(operator.metrics().prequential.hits()).isEqualTo(1);
    }

    @Test
    void sessionStateIsAFlinkPojoAndSurvivesARocksDbSnapshotAndRestore() throws Exception {
        // Kryo would be slower and would not evolve; the POJO serializer does both.
        assertThat(TypeInformation.of(SessionState.class)).isInstanceOf(PojoTypeInfo.class);

        harness = build(3, 128, false);
        harness.setStateBackend(new EmbeddedRocksDBStateBackend());
        harness.open();
        event("a", "i0", 100);
        event("b", "x", 100);
        harness.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();

        harness = build(3, 128, false);
        harness.setStateBackend(new EmbeddedRocksDBStateBackend());
        harness.initializeState(snapshot);
        harness.open();
        event("a", "i1", 200);   // rank 1 of i1 i2 i3, from the restored last recommendations
        event("b", "i4", 200);   // rank 2 of the restored fallback i5 i4 i3
        harness.prepareSnapshotPreBarrier(2);
        assertThat(output()).extracting(Recommendation::getSessionId).containsExactly("a@100", "b@100");
        assertThat(items(output().get(0))).containsExactly("i2", "i3", "i4");
        assertThat(operator.metrics().prequential.hits()).isEqualTo(2);
        assertThat(operator.metrics().prequential.mrr()).isCloseTo((1 + 0.5) / 2, within(1e-12));
        assertThat(harness.numEventTimeTimers()).isEqualTo(2);
    }

    @Test
    void aModelStillLoadingAtACheckpointIsLoadedOnRestore() throws Exception {
        open(3, 128, false);
        announce(2, "mem://v2");   // consumed from the source, but not swapped in before the checkpoint
        operator.awaitModelLoad();
        assertThat(operator.metrics().modelVersion.getValue()).isEqualTo(1);
        OperatorSubtaskState snapshot = harness.snapshot(1, 1);
        harness.close();

        harness = build(3, 128, false);
        harness.initializeState(snapshot);
        harness.open();
        assertThat(operator.metrics().modelVersion.getValue()).isEqualTo(2);
    }

    @Test
    void announcementsDuringALoadAreQueuedAndTheNewestWins() throws Exception {
        open(3, 128, false);
        announce(3, "mem://broken");  // loading
        announce(2, "mem://v1");      // older than the one loading: ignored
        announce(4, "mem://v2");      // queued (holds version 2, which is still newer than the serving 1)
        awaitModelLoad();             // v3 failed; the queued one starts
        assertThat(operator.metrics().modelVersion.getValue()).isEqualTo(1);
        awaitModelLoad();
        assertThat(operator.metrics().modelVersion.getValue()).isEqualTo(2);
    }

    @Test
    void stateTtlEndsASessionWhoseTimerNeverFired() throws Exception {
        open(3, 1, false);  // TTL 60 s of processing time, see build()
        harness.setStateTtlProcessingTime(0);
        event("a", "i0", 100);
        harness.setStateTtlProcessingTime(60_001);
        // Same session by event time, but its state has expired: a new session, so the event is not checked.
        event("a", "i1", 200);
        assertThat(operator.metrics().prequential.predictions()).isZero();
        assertThat(output()).extracting(Recommendation::getSessionId).containsExactly("a@100", "a@200");
    }
}
