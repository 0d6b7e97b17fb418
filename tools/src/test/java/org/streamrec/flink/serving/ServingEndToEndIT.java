package org.streamrec.flink.serving;

import org.streamrec.tools.ops.AnnounceModel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendationStrategy;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.SessionDataset;
import org.streamrec.tools.kafka.KafkaBrokerExtension;
import org.streamrec.data.Session;
import org.streamrec.tools.replay.ClickEventFactory;
import org.streamrec.tools.replay.Pacer;
import org.streamrec.tools.replay.ReplayClock;
import org.streamrec.tools.replay.ReplaySummary;
import org.streamrec.tools.replay.ReplayTool;
import org.streamrec.tools.replay.Replayer;
import org.streamrec.tools.replay.Ticker;
import org.streamrec.tools.replay.TimeOrderedEvents;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecParams;
import org.streamrec.model.Gru4RecTrainer;
import org.streamrec.model.ModelSnapshot;
import org.streamrec.model.TrainingListener;

import picocli.CommandLine;

/**
 * Everything real: a GRU4Rec trained briefly on rsc15-100k train_full and saved as a snapshot, the replay tool
 * writing the start of the test split to a KRaft broker, and the serving job (snapshot loader, RocksDB,
 * exactly-once sinks) on a MiniCluster. Checks one committed recommendation per event, and that the served model
 * beats popularity on the online hit rate computed from the output itself.
 */
class ServingEndToEndIT {

    private static final Logger LOG = LoggerFactory.getLogger(ServingEndToEndIT.class);
    private static final int EVENTS = 3_000;
    private static final int K = 20;

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
                    .build());

    @Test
    void replayedRsc15EventsEachGetOneRecommendationFromTheTrainedSnapshot(@TempDir Path dir) throws Exception {
        Path data = Path.of(System.getProperty("streamrec.data.dir"), "rsc15-100k");
        SessionDataset train = DatasetReaders.read(data.resolve("yoochoose-clicks-100k_train_full.txt"));
        SessionDataset test = DatasetReaders.read(data.resolve("yoochoose-clicks-100k_test.txt"));

        Gru4RecTrainer.Prepared prepared = Gru4RecTrainer.prepare(train, Gru4RecParams.defaults()
                .with("layers", "32").with("batch_size", "32").with("n_sample", "256").with("n_epochs", "1"));
        Gru4RecModel model = prepared.model();
        long t0 = System.nanoTime();
        new Gru4RecTrainer(model).train(prepared.sessions(), TrainingListener.NONE);
        LOG.info("trained 1 epoch in {} ms", (System.nanoTime() - t0) / 1_000_000);
        model.bumpVersion(1);
        Path snapshot = dir.resolve("model-v1");
        ModelSnapshot.save(model, null, snapshot);

        RecommenderConfig config = RecommenderConfig.parse(
                "--bootstrap-servers", KAFKA.bootstrapServers(), "--model-uri", snapshot.toUri().toString(),
                "--k", String.valueOf(K), "--checkpoint-interval", "500 ms", "--parallelism", "2",
                "--transactional-id-prefix", "e2e-it", "--transaction-timeout", "5 min");
        KAFKA.createTopic(config.eventsTopic(), 2);
        KAFKA.createTopic(config.recommendationsTopic(), 2);
        KAFKA.createTopic(config.dlqTopic(), 1);
        KAFKA.createTopic(config.modelUpdatesTopic(), 1);

        List<Session> sessions = ReplayTool.slice(test, 0, null);
        ClickEventFactory factory = new ClickEventFactory("rsc15-test", ReplayClock.epochMillis());
        List<ClickEvent> sent = new ArrayList<>();
        TimeOrderedEvents order = new TimeOrderedEvents(sessions);
        for (int i = 0; i < EVENTS && order.hasNext(); i++) {
            sent.add(factory.create(order.next()));
        }
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(ReplayTool.producerConfig(KAFKA.bootstrapServers(), Map.of()))) {
            ReplaySummary replay = new Replayer(producer, config.eventsTopic(), factory, AvroCodec.clickEvents(),
                    Pacer.unpaced(), Ticker.SYSTEM, Duration.ofMinutes(1), progress -> { }).run(sessions, EVENTS, 0);
            assertThat(replay.eventsAcked()).isEqualTo(EVENTS);
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
        long j0 = System.nanoTime();
        env.execute("serving-e2e-it");
        LOG.info("job ran {} events in {} ms", EVENTS, (System.nanoTime() - j0) / 1_000_000);

        AvroCodec<Recommendation> codec = AvroCodec.recommendations();
        List<Recommendation> recs = KAFKA.consumeCommitted(config.recommendationsTopic(), EVENTS, Duration.ofSeconds(60))
                .stream().map(r -> ((DecodeResult.Decoded<Recommendation>) codec.decode(r.value())).value()).toList();
        assertThat(recs).extracting(Recommendation::getTriggeringEventId).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(sent.stream().map(ClickEvent::getEventId).toList());
        // Every rsc15 test item occurs in training, so every answer comes from the model.
        assertThat(recs).allSatisfy(r -> {
            assertThat(r.getStrategy()).isEqualTo(RecommendationStrategy.MODEL);
            assertThat(r.getModelVersion()).isEqualTo(1);
            assertThat(r.getItems()).hasSize(K);
        });
        assertThat(recs).extracting(Recommendation::getUserId).doesNotContainNull();
        assertThat(recs.get(0).getSessionId()).isNotBlank();

        // Online hit rate from the output: was each event's next item (same session) in the list it triggered?
        Map<String, Recommendation> byEvent = new HashMap<>();
        recs.forEach(r -> byEvent.put(r.getTriggeringEventId(), r));
        Map<String, ClickEvent> previousInSession = new HashMap<>();
        Set<String> popTop = new HashSet<>(popularTop(prepared, K));
        int predictions = 0;
        int modelHits = 0;
        int popHits = 0;
        for (ClickEvent e : sent) {
            ClickEvent previous = previousInSession.put(e.getSessionId(), e);
            if (previous == null) {
                continue;
            }
            predictions++;
            List<String> listed = byEvent.get(previous.getEventId()).getItems().stream()
                    .map(RecommendedItem::getItemId).toList();
            modelHits += listed.contains(e.getItemId()) ? 1 : 0;
            popHits += popTop.contains(e.getItemId()) ? 1 : 0;
        }
        double modelHr = (double) modelHits / predictions;
        double popHr = (double) popHits / predictions;
        LOG.info("online HR@{} over {} predictions: served model {}, popularity {}", K, predictions, modelHr, popHr);
        assertThat(modelHr).isGreaterThan(popHr);
    }

    private static List<String> popularTop(Gru4RecTrainer.Prepared prepared, int k) {
        ServingModel m = ServingModel.of(0, prepared.model(), prepared.model().vocabulary(),
                prepared.model().popularity(), k);
        return List.of(m.fallbackItems());
    }

    /**
     * Hot swap through Kafka: the job serves snapshot v1 on unbounded sources; once the first events' output is
     * committed, {@link AnnounceModel} publishes v2 (v1 trained one more epoch) on model-updates, and the events that
     * follow are answered by v2, with no event lost or doubled and no user going back to v1.
     */
    @Test
    void announcedSnapshotIsSwappedInWhileServing(@TempDir Path dir) throws Exception {
        Path data = Path.of(System.getProperty("streamrec.data.dir"), "rsc15-100k");
        SessionDataset train = DatasetReaders.read(data.resolve("yoochoose-clicks-100k_train_full.txt"));
        SessionDataset test = DatasetReaders.read(data.resolve("yoochoose-clicks-100k_test.txt"));
        Gru4RecTrainer.Prepared prepared = Gru4RecTrainer.prepare(train, Gru4RecParams.defaults()
                .with("layers", "32").with("batch_size", "32").with("n_sample", "256").with("n_epochs", "1"));
        Gru4RecModel model = prepared.model();
        Gru4RecTrainer trainer = new Gru4RecTrainer(model);
        trainer.train(prepared.sessions(), TrainingListener.NONE);
        model.bumpVersion(1);
        Path v1 = dir.resolve("model-v1");
        ModelSnapshot.save(model, null, v1);
        trainer.train(prepared.sessions(), TrainingListener.NONE);
        model.bumpVersion(2);
        Path v2 = dir.resolve("model-v2");
        ModelSnapshot.save(model, null, v2);

        RecommenderConfig config = RecommenderConfig.parse(
                "--bootstrap-servers", KAFKA.bootstrapServers(), "--model-uri", v1.toUri().toString(),
                "--events-topic", "swap-events", "--recommendations-topic", "swap-recs", "--dlq-topic", "swap-dlq",
                "--model-updates-topic", "swap-models", "--k", String.valueOf(K), "--checkpoint-interval", "300 ms",
                "--parallelism", "2", "--transactional-id-prefix", "swap-it", "--transaction-timeout", "5 min");
        KAFKA.createTopic(config.eventsTopic(), 2);
        KAFKA.createTopic(config.recommendationsTopic(), 2);
        KAFKA.createTopic(config.dlqTopic(), 1);
        KAFKA.createTopic(config.modelUpdatesTopic(), 1, Map.of("cleanup.policy", "compact"));

        List<ClickEvent> events = new ArrayList<>();
        ClickEventFactory swapFactory = new ClickEventFactory("rsc15-test", ReplayClock.epochMillis());
        TimeOrderedEvents swapOrder = new TimeOrderedEvents(ReplayTool.slice(test, 0, null));
        for (int i = 0; i < 2_000 && swapOrder.hasNext(); i++) {
            events.add(swapFactory.create(swapOrder.next()));
        }
        AvroCodec<ClickEvent> eventCodec = AvroCodec.clickEvents();
        List<ProducerRecord<byte[], byte[]>> records = events.stream().map(e -> new ProducerRecord<>(
                config.eventsTopic(), e.getUserId().getBytes(StandardCharsets.UTF_8), eventCodec.encode(e))).toList();

        Configuration flink = RecommenderJob.flinkConfiguration(config);
        flink.set(RocksDBOptions.LOCAL_DIRECTORIES, dir.resolve("rocksdb").toString());
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.resolve("checkpoints").toUri().toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        new RecommenderJob(config,
                RecommenderJob.eventsSource(config).setStartingOffsets(OffsetsInitializer.earliest()).build(),
                RecommenderJob.announcementsSource(config).build(),
                RecommenderJob.recommendationsSink(config), RecommenderJob.deadLetterSink(config),
                new SnapshotModelLoader()).build(env);
        JobClient job = env.executeAsync("serving-hot-swap-it");
        AvroCodec<Recommendation> codec = AvroCodec.recommendations();
        try {
            int half = records.size() / 2;
            KAFKA.produce(records.subList(0, half));
            List<Recommendation> first = KAFKA.consumeCommitted(config.recommendationsTopic(), half,
                    Duration.ofSeconds(60)).stream().map(r -> decoded(codec, r.value())).toList();
            assertThat(first).hasSize(half).extracting(Recommendation::getModelVersion).containsOnly(1L);

            int exit = new CommandLine(new AnnounceModel()).execute("--snapshot", v2.toString(),
                    "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", config.modelUpdatesTopic());
            assertThat(exit).isZero();
            // The swap loads on a separate thread; give it time before the rest of the events arrive.
            Thread.sleep(2_000);
            KAFKA.produce(records.subList(half, records.size()));

            List<Recommendation> all = KAFKA.consumeCommitted(config.recommendationsTopic(), events.size(),
                    Duration.ofSeconds(60)).stream().map(r -> decoded(codec, r.value())).toList();
            assertThat(all).extracting(Recommendation::getTriggeringEventId).doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(events.stream().map(ClickEvent::getEventId).toList());
            assertThat(all).extracting(Recommendation::getStrategy).containsOnly(RecommendationStrategy.MODEL);
            assertThat(all).extracting(Recommendation::getModelVersion).contains(2L);
            Map<String, Long> lastVersion = new HashMap<>();
            for (Recommendation r : all) {  // per user, output keeps input order (one partition per user)
                Long before = lastVersion.put(r.getUserId(), r.getModelVersion());
                assertThat(before == null || before <= r.getModelVersion())
                        .as("user %s went back from version %s", r.getUserId(), before).isTrue();
            }
            Set<String> secondHalf = new HashSet<>();
            events.subList(half, events.size()).forEach(e -> secondHalf.add(e.getEventId()));
            long v2Answers = all.stream().filter(r -> secondHalf.contains(r.getTriggeringEventId()))
                    .filter(r -> r.getModelVersion() == 2).count();
            LOG.info("hot swap: {} of {} events after the announcement answered by version 2", v2Answers,
                    secondHalf.size());
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    private static Recommendation decoded(AvroCodec<Recommendation> codec, byte[] value) {
        return ((DecodeResult.Decoded<Recommendation>) codec.decode(value)).value();
    }
}
