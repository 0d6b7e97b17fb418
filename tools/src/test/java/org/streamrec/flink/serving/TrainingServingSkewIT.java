package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendationStrategy;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;
import org.streamrec.eval.EvaluationResult;
import org.streamrec.eval.Evaluator;
import org.streamrec.tools.demo.BootstrapModel;
import org.streamrec.tools.kafka.KafkaBrokerExtension;
import org.streamrec.tools.replay.ClickEventFactory;
import org.streamrec.tools.replay.Pacer;
import org.streamrec.tools.replay.ReplayClock;
import org.streamrec.tools.replay.ReplaySummary;
import org.streamrec.tools.replay.ReplayTool;
import org.streamrec.tools.replay.Replayer;
import org.streamrec.tools.replay.Ticker;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.ModelSnapshot;

/**
 * No training/serving skew: one GRU4Rec snapshot, scored offline by the shared {@link Evaluator} and online by the
 * real {@link RecommenderJob} (KRaft broker, MiniCluster, RocksDB, exactly-once sink) on every rsc15-100k test event,
 * gives the same top-20 list for every prefix, and therefore the same hit count.
 *
 * <p>Lists are compared, not scores: the job scores micro-batches of whatever rows are pending while the evaluator
 * scores batches of 256 sessions, and a gemm may block a matrix product differently by row count, so a score can
 * differ in its last bits between the two (two runs: 9,070 and 9,019 of 10,152 lists had bitwise equal scores, all
 * 10,152 the same items in the same order; the one-epoch model differs from run to run). Exact score equality is
 * only counted and printed.
 */
class TrainingServingSkewIT {

    private static final Logger LOG = LoggerFactory.getLogger(TrainingServingSkewIT.class);
    private static final int K = 20;
    /**
     * Serving sessions must equal dataset sessions. The producer's session id already starts a new serving session
     * at each dataset session, but the job also splits a session after an event-time gap, and 84 consecutive event
     * pairs inside rsc15-100k test sessions are more than 30 min (the default gap) apart, the longest 59 min 54 s.
     * A week is above every intra-session gap of the test split (asserted below), so no split happens and no state
     * expires in between.
     */
    private static final Duration SESSION_GAP = Duration.ofDays(7);

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
                    .build());

    @Test
    void streamedRecommendationsEqualTheOfflineTopListsForEveryTestPrefix(@TempDir Path dir) throws Exception {
        long started = System.nanoTime();
        Path data = Path.of(System.getProperty("streamrec.data.dir"), "rsc15-100k");
        Path snapshot = dir.resolve("model-v1");
        // The demo's bootstrap model (built-in rsc15-xe setting), one epoch to keep the test short.
        BootstrapModel.Trained trained = BootstrapModel.train(data.resolve("yoochoose-clicks-100k_train_full.txt"),
                100, 1, snapshot, LOG::info);
        SessionDataset test = DatasetReaders.read(data.resolve("yoochoose-clicks-100k_test.txt"));
        List<Session> sessions = ReplayTool.slice(test, 0, null);
        ClickEventFactory factory = new ClickEventFactory("rsc15-test", ReplayClock.epochMillis());

        long longGaps = 0;
        long maxGapMs = 0;
        for (Session s : sessions) {
            long[] t = s.timestamps();
            for (int i = 1; i < t.length; i++) {
                long gap = t[i] - t[i - 1];
                maxGapMs = Math.max(maxGapMs, gap);
                longGaps += gap > Duration.ofMinutes(30).toMillis() ? 1 : 0;
            }
        }
        LOG.info("rsc15-100k test: {} intra-session gaps above 30 min, the longest {}", longGaps,
                Duration.ofMillis(maxGapMs));
        assertThat(maxGapMs).as("longest intra-session gap").isLessThan(SESSION_GAP.toMillis());

        // 1. Offline: the shared protocol on the loaded snapshot, keyed by the event that ends each prefix.
        Gru4RecModel model = ModelSnapshot.load(snapshot);
        Map<String, OfflineList> offline = new HashMap<>();
        long[] offlineHitCount = {0};
        EvaluationResult result = new Evaluator(new Evaluator.Config(256, false, K)).evaluate("gru4rec", model,
                model.vocabulary(), sessions, null,
                (sessionIndex, prefixLength, target, rank, topItems, topScores, topCount) -> {
                    offlineHitCount[0] += rank <= K ? 1 : 0;
                    String[] ids = new String[topCount];
                    for (int i = 0; i < topCount; i++) {
                        ids[i] = model.vocabulary().idOf(topItems[i]);
                    }
                    String eventId = factory.eventId(sessions.get(sessionIndex), prefixLength - 1);
                    offline.put(eventId, new OfflineList(ids, Arrays.copyOf(topScores, topCount)));
                });
        long offlineHits = offlineHitCount[0];
        assertThat(offlineHits / (double) result.predictions()).isEqualTo(result.recall(K));

        // 2. Streaming: every test event through the real job, serving the same snapshot.
        RecommenderConfig config = RecommenderConfig.parse(
                "--bootstrap-servers", KAFKA.bootstrapServers(), "--model-uri", snapshot.toUri().toString(),
                "--k", String.valueOf(K), "--no-exclude-seen",
                "--session-gap", SESSION_GAP.toDays() + " d", "--state-ttl", (SESSION_GAP.toDays() + 1) + " d",
                "--checkpoint-interval", "500 ms", "--parallelism", "2",
                "--transactional-id-prefix", "skew-it", "--transaction-timeout", "5 min");
        KAFKA.createTopic(config.eventsTopic(), 2);
        KAFKA.createTopic(config.recommendationsTopic(), 2);
        KAFKA.createTopic(config.dlqTopic(), 1);
        KAFKA.createTopic(config.modelUpdatesTopic(), 1);
        int events = Math.toIntExact(test.eventCount());
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(ReplayTool.producerConfig(KAFKA.bootstrapServers(), Map.of()))) {
            ReplaySummary replay = new Replayer(producer, config.eventsTopic(), factory, AvroCodec.clickEvents(),
                    Pacer.unpaced(), Ticker.SYSTEM, Duration.ofMinutes(1), progress -> { }).run(sessions, events, 0);
            assertThat(replay.eventsAcked()).isEqualTo(events);
        }

        Configuration flink = RecommenderJob.flinkConfiguration(config);
        flink.set(RocksDBOptions.LOCAL_DIRECTORIES, dir.resolve("rocksdb").toString());
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.resolve("checkpoints").toUri().toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        new RecommenderJob(config,
                RecommenderJob.eventsSource(config).setStartingOffsets(OffsetsInitializer.earliest())
                        .setBounded(OffsetsInitializer.latest()).build(),
                RecommenderJob.announcementsSource(config).setBounded(OffsetsInitializer.latest()).build(),
                RecommenderJob.recommendationsSink(config), RecommenderJob.deadLetterSink(config),
                new SnapshotModelLoader()).build(env);
        long jobStarted = System.nanoTime();
        env.execute("training-serving-skew-it");
        long jobMs = (System.nanoTime() - jobStarted) / 1_000_000;

        AvroCodec<Recommendation> codec = AvroCodec.recommendations();
        Map<String, Recommendation> streamed = new HashMap<>();
        for (var record : KAFKA.consumeCommitted(config.recommendationsTopic(), events, Duration.ofSeconds(60))) {
            Recommendation r = ((DecodeResult.Decoded<Recommendation>) codec.decode(record.value())).value();
            assertThat(streamed.put(r.getTriggeringEventId(), r)).as("second answer to %s", r.getTriggeringEventId())
                    .isNull();
        }
        assertThat(streamed).hasSize(events);

        // 3. Every prefix that has a next event: same list, same hit.
        int compared = 0;
        int identicalLists = 0;
        int identicalScores = 0;
        int boundaryTies = 0;
        int streamedHits = 0;
        List<String> unexplained = new ArrayList<>();
        for (Session s : sessions) {
            for (int p = 0; p + 1 < s.length(); p++) {
                String eventId = factory.eventId(s, p);
                Recommendation rec = streamed.get(eventId);
                OfflineList expected = offline.get(eventId);
                assertThat(rec).as("recommendation for %s", eventId).isNotNull();
                assertThat(expected).as("offline prediction for %s", eventId).isNotNull();
                assertThat(rec.getStrategy()).isEqualTo(RecommendationStrategy.MODEL);
                assertThat(rec.getSessionId()).isEqualTo(s.sessionId());
                String[] ids = rec.getItems().stream().map(RecommendedItem::getItemId).toArray(String[]::new);
                float[] scores = new float[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    scores[i] = rec.getItems().get(i).getScore();
                }
                compared++;
                streamedHits += Arrays.asList(ids).contains(s.itemIds().get(p + 1)) ? 1 : 0;
                identicalScores += Arrays.equals(scores, expected.scores()) ? 1 : 0;
                if (Arrays.equals(ids, expected.items())) {
                    identicalLists++;
                } else if (Arrays.equals(scores, expected.scores())) {
                    // Same scores position by position: only items of exactly equal score changed places.
                    boundaryTies++;
                } else if (unexplained.size() < 5) {
                    unexplained.add(eventId + ": streamed " + Arrays.toString(ids) + " " + Arrays.toString(scores)
                            + ", offline " + Arrays.toString(expected.items()) + " "
                            + Arrays.toString(expected.scores()));
                }
            }
        }
        String summary = String.format("predictions compared %d (offline %d); identical lists %d; differing only by "
                        + "exact score ties %d; bitwise identical scores %d; streamed HR@%d %d/%d = %.4f; offline "
                        + "Recall@%d %d/%d = %.4f; job %d ms, whole test %d ms",
                compared, result.predictions(), identicalLists, boundaryTies, identicalScores, K, streamedHits,
                compared, streamedHits / (double) compared, K, offlineHits, result.predictions(),
                result.recall(K), jobMs, (System.nanoTime() - started) / 1_000_000);
        LOG.info(summary);
        System.out.println("TrainingServingSkewIT: " + summary);

        assertThat(compared).isEqualTo(result.predictions()).isEqualTo(10_152);
        assertThat(unexplained).as("lists that differ beyond exact ties (first 5)").isEmpty();
        assertThat(identicalLists + boundaryTies).isEqualTo(compared);
        assertThat(streamedHits).as("streamed HR@20 hits vs offline Recall@20 hits").isEqualTo(offlineHits);
    }

    private record OfflineList(String[] items, float[] scores) {
    }
}
