package org.streamrec.flink.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendationStrategy;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.SessionDataset;
import org.streamrec.tools.kafka.KafkaBrokerExtension;
import org.streamrec.tools.replay.ClickEventFactory;
import org.streamrec.tools.replay.ReplayClock;
import org.streamrec.tools.replay.TimeOrderedEvents;
import org.streamrec.flink.serving.RecommenderConfig;
import org.streamrec.flink.serving.RecommenderJob;
import org.streamrec.flink.serving.ServingModel;
import org.streamrec.flink.serving.SnapshotModelLoader;
import org.streamrec.model.Gru4RecModel;
import org.streamrec.model.Gru4RecParams;
import org.streamrec.model.Gru4RecTrainer;
import org.streamrec.model.ModelSnapshot;
import org.streamrec.model.TrainingListener;

/**
 * The trainer job on a KRaft broker and a MiniCluster, from a bootstrap GRU4Rec trained on rsc15-100k train_tr.
 * First test: the trainer and the serving job run side by side on the same events topic; items the bootstrap model
 * has never seen, repeated in a fixed order, are learned by the trainer, announced, swapped in by the serving job,
 * and then recommended. Second test (e2e): a failure mid-stream, then a kill and a restart from the retained
 * checkpoint; announced versions keep increasing, none is published twice, every pair is trained once.
 */
class TrainerJobIT {

    private static final Logger LOG = LoggerFactory.getLogger(TrainerJobIT.class);
    private static final List<String> NEW_ITEMS = List.of("new-A", "new-B", "new-C", "new-D");
    /** Fails the next event once a test arms it; static because the MiniCluster runs deserialized copies. */
    static final AtomicBoolean FAIL_NEXT = new AtomicBoolean();
    static final AtomicBoolean FAILED = new AtomicBoolean();

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder().setNumberTaskManagers(1).setNumberSlotsPerTaskManager(3)
                    .build());

    @TempDir
    static Path shared;
    private static SessionDataset test;
    private static Path bootstrap;
    private static int bootstrapItems;

    /** The bootstrap snapshot (version 1, with optimizer state), trained once for both tests. */
    private static synchronized Path bootstrapSnapshot() throws Exception {
        if (bootstrap != null) {
            return bootstrap;
        }
        Path dir = shared;
        Path data = Path.of(System.getProperty("streamrec.data.dir"), "rsc15-100k");
        SessionDataset train = DatasetReaders.read(data.resolve("yoochoose-clicks-100k_train_tr.txt"));
        test = DatasetReaders.read(data.resolve("yoochoose-clicks-100k_test.txt"));
        Gru4RecTrainer.Prepared prepared = Gru4RecTrainer.prepare(train, Gru4RecParams.defaults()
                .with("layers", "32").with("batch_size", "32").with("n_sample", "256").with("n_epochs", "1"));
        Gru4RecModel model = prepared.model();
        Gru4RecTrainer trainer = new Gru4RecTrainer(model);
        long t0 = System.nanoTime();
        trainer.train(prepared.sessions(), TrainingListener.NONE);
        LOG.info("bootstrap: {} items, 1 epoch in {} ms", model.itemCount(), (System.nanoTime() - t0) / 1_000_000);
        for (String id : NEW_ITEMS) {
            assertThat(model.vocabulary().indexOf(id)).isNegative();
        }
        model.bumpVersion(1);
        Path snapshot = dir.resolve("bootstrap-v1");
        ModelSnapshot.save(model, trainer, snapshot);
        bootstrapItems = model.itemCount();
        bootstrap = snapshot;
        return snapshot;
    }

    @Test
    void newItemsAreLearnedAnnouncedAndRecommendedByTheServingJob(@TempDir Path dir) throws Exception {
        Path bootstrap = bootstrapSnapshot();
        String events = "tr-events";
        String models = "tr-models";
        String recs = "tr-recs";
        KAFKA.createTopic(events, 2);
        KAFKA.createTopic(models, 1, Map.of("cleanup.policy", "compact"));
        KAFKA.createTopic(recs, 2);
        KAFKA.createTopic("tr-dlq", 1);

        RecommenderConfig serving = RecommenderConfig.parse(
                "--bootstrap-servers", KAFKA.bootstrapServers(), "--model-uri", bootstrap.toUri().toString(),
                "--events-topic", events, "--recommendations-topic", recs, "--dlq-topic", "tr-dlq",
                "--model-updates-topic", models, "--k", "20", "--checkpoint-interval", "300 ms", "--parallelism", "1",
                "--transactional-id-prefix", "tr-serving", "--transaction-timeout", "5 min");
        TrainerConfig training = TrainerConfig.parse(
                "--bootstrap-servers", KAFKA.bootstrapServers(), "--events-topic", events,
                "--model-updates-topic", models, "--model-store", dir.resolve("store").toUri().toString(),
                "--bootstrap-model", bootstrap.toUri().toString(), "--publish-every-events", "1000000",
                "--publish-every", "1 s", "--checkpoint-interval", "500 ms", "--parallelism", "1");

        Configuration servingFlink = RecommenderJob.flinkConfiguration(serving);
        servingFlink.set(RocksDBOptions.LOCAL_DIRECTORIES, dir.resolve("rocksdb").toString());
        servingFlink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.resolve("serving-chk").toUri().toString());
        StreamExecutionEnvironment servingEnv = StreamExecutionEnvironment.getExecutionEnvironment(servingFlink);
        new RecommenderJob(serving,
                RecommenderJob.eventsSource(serving).setStartingOffsets(OffsetsInitializer.earliest()).build(),
                RecommenderJob.announcementsSource(serving).build(),
                RecommenderJob.recommendationsSink(serving), RecommenderJob.deadLetterSink(serving),
                new SnapshotModelLoader()).build(servingEnv);
        JobClient servingJob = servingEnv.executeAsync("serving-next-to-trainer");

        Configuration trainerFlink = TrainerJob.flinkConfiguration(training);
        trainerFlink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.resolve("trainer-chk").toUri().toString());
        StreamExecutionEnvironment trainerEnv = StreamExecutionEnvironment.getExecutionEnvironment(trainerFlink);
        new TrainerJob(training, TrainerJob.eventsSource(training)
                .setStartingOffsets(OffsetsInitializer.earliest()).build(), TrainerJob.announcementSink(training))
                .build(trainerEnv);
        JobClient trainerJob = trainerEnv.executeAsync("trainer");
        AvroCodec<ClickEvent> eventCodec = AvroCodec.clickEvents();
        try {
            // Before any training: a session starting with a new item gets the bootstrap model's fallback.
            KAFKA.produce(records(events, eventCodec, probes("before", 5, firstTestEventTime())));
            List<Recommendation> before = recommendations(recs, 5, r -> true);
            assertThat(before).allSatisfy(r -> {
                assertThat(r.getModelVersion()).isEqualTo(1);
                assertThat(r.getStrategy()).isEqualTo(RecommendationStrategy.FALLBACK);
                assertThat(itemIds(r)).doesNotContainAnyElementsOf(NEW_ITEMS);
            });

            // Traffic: rsc15 test sessions interleaved with sessions walking the new items in a fixed order.
            List<ClickEvent> traffic = traffic(2_000, 200);
            KAFKA.produce(records(events, eventCodec, traffic));
            long expectedPairs = pairs(traffic); // probe sessions have one event each: no pairs
            LOG.info("traffic: {} events, {} training pairs", traffic.size(), expectedPairs);
            ModelAnnouncement announced = waitForAnnouncement(models, a -> a.getMetrics().getOrDefault(
                    "eventsTrained", 0.0) >= expectedPairs, Duration.ofSeconds(60));
            LOG.info("announcement: version {} parent {} items {} metrics {}", announced.getVersion(),
                    announced.getParentVersion(), announced.getItemCount(), announced.getMetrics());
            assertThat(announced.getVersion()).isGreaterThan(1);
            assertThat(announced.getParentVersion()).isLessThan(announced.getVersion());
            assertThat(announced.getItemCount()).isGreaterThanOrEqualTo(bootstrapItems + NEW_ITEMS.size());
            assertThat(announced.getMetrics()).containsKey("trainingLoss");
            ServingModel published = new SnapshotModelLoader().load(announced.getSnapshotUri().toString(),
                    announced.getChecksum().toString(), 20);
            assertThat(published.version()).isEqualTo(announced.getVersion());

            // After the swap, a session starting with new-A is answered by the new model, which recommends new-B.
            Recommendation after = null;
            for (int round = 0; round < 30 && after == null; round++) {
                String prefix = "after" + round;
                KAFKA.produce(records(events, eventCodec, probes(prefix, 1, traffic.get(traffic.size() - 1).getEventTime())));
                List<Recommendation> answered = recommendations(recs, 1,
                        r -> r.getTriggeringEventId().toString().startsWith(prefix));
                if (!answered.isEmpty() && answered.get(0).getModelVersion() >= announced.getVersion()) {
                    after = answered.get(0);
                } else {
                    Thread.sleep(500);
                }
            }
            assertThat(after).as("no probe answered by version %s", announced.getVersion()).isNotNull();
            LOG.info("after the swap: version {}, strategy {}, items {}", after.getModelVersion(), after.getStrategy(),
                    itemIds(after).subList(0, 5));
            assertThat(after.getStrategy()).isEqualTo(RecommendationStrategy.MODEL);
            assertThat(itemIds(after)).contains("new-B");
        } finally {
            trainerJob.cancel().get(30, TimeUnit.SECONDS);
            servingJob.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * The trainer fails mid-stream (Flink restarts it from its last checkpoint), then is cancelled while events keep
     * arriving and started again as a new job from its last retained checkpoint. Training and publishing resume each
     * time; across both, every announced version is higher than the one before (none is published twice), each
     * announced snapshot loads with its checksum, and every training pair in the data is trained exactly once.
     */
    @Test
    @Tag("e2e")
    void trainingAndPublishingResumeAfterAFailureAndAfterAKillAndRestartFromTheRetainedCheckpoint(@TempDir Path dir)
            throws Exception {
        Path start = bootstrapSnapshot();
        String events = "ft-events";
        String models = "ft-models"; // not compacted, so the test sees every announcement ever sent
        KAFKA.createTopic(events, 2);
        KAFKA.createTopic(models, 1);
        TrainerConfig training = TrainerConfig.parse(
                "--bootstrap-servers", KAFKA.bootstrapServers(), "--events-topic", events,
                "--model-updates-topic", models, "--model-store", dir.resolve("store").toUri().toString(),
                "--bootstrap-model", start.toUri().toString(), "--publish-every-events", "300",
                "--publish-every", "2 s", "--checkpoint-interval", "300 ms", "--parallelism", "2");
        Path checkpoints = dir.resolve("chk");
        Configuration flink = TrainerJob.flinkConfiguration(training);
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        flink.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        flink.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        flink.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        flink.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        FAIL_NEXT.set(false);
        FAILED.set(false);
        JobClient first = submitTrainerWithFailureSwitch(training, flink, "trainer-first-run");
        AvroCodec<ClickEvent> eventCodec = AvroCodec.clickEvents();
        List<ClickEvent> traffic = traffic(3_000, 150);
        long expectedPairs = pairs(traffic);
        int quarter = traffic.size() / 4;
        JobClient second = null;
        try {
            KAFKA.produce(records(events, eventCodec, traffic.subList(0, quarter)));
            waitForAnnouncement(models, a -> a.getVersion() >= 2, Duration.ofSeconds(60));
            FAIL_NEXT.set(true);
            KAFKA.produce(records(events, eventCodec, traffic.subList(quarter, 2 * quarter)));
            // The failure hits the first event of the second quarter; the restored job trains it and publishes.
            long beforeKill = waitForAnnouncement(models,
                    a -> a.getMetrics().getOrDefault("eventsConsumed", 0.0) >= 2 * quarter, Duration.ofSeconds(60))
                    .getVersion();
            assertThat(FAILED).as("the injected failure happened").isTrue();

            // Kill: cancel the job; events keep arriving while no trainer runs.
            first.cancel().get(30, TimeUnit.SECONDS);
            KAFKA.produce(records(events, eventCodec, traffic.subList(2 * quarter, traffic.size())));
            Path retained = latestRetainedCheckpoint(checkpoints.resolve(first.getJobID().toString()));
            LOG.info("restarting from retained checkpoint {}", retained);
            Configuration restart = new Configuration(flink);
            restart.set(StateRecoveryOptions.SAVEPOINT_PATH, retained.toUri().toString());
            second = submitTrainerWithFailureSwitch(training, restart, "trainer-restarted");
            ModelAnnouncement last = waitForAnnouncement(models,
                    a -> a.getMetrics().getOrDefault("eventsTrained", 0.0) >= expectedPairs, Duration.ofSeconds(90));

            List<ModelAnnouncement> all = announcements(models);
            LOG.info("announced versions across failure and restart: {}",
                    all.stream().map(ModelAnnouncement::getVersion).toList());
            long highest = 1;
            for (ModelAnnouncement a : all) {
                assertThat(a.getVersion()).as("announcement after version %s", highest).isGreaterThan(highest);
                assertThat(a.getParentVersion()).isLessThan(a.getVersion());
                highest = a.getVersion();
            }
            assertThat(highest).as("published after the restart").isGreaterThan(beforeKill);
            assertThat(last.getVersion()).isEqualTo(highest);
            // Restored counters plus the events read again from the checkpointed offsets: each pair trained once.
            assertThat(last.getMetrics().get("eventsTrained")).isEqualTo((double) expectedPairs);
            assertThat(last.getMetrics().get("eventsConsumed")).isEqualTo((double) traffic.size());
            for (ModelAnnouncement a : all) {
                assertThat(new SnapshotModelLoader().load(a.getSnapshotUri().toString(), a.getChecksum().toString(), 5)
                        .version()).isEqualTo(a.getVersion());
            }
            // Retention: at most the configured number of checkpoint-only snapshots, whichever run wrote them.
            try (var chk = java.nio.file.Files.list(dir.resolve("store/checkpoints"))) {
                assertThat(chk.count()).isLessThanOrEqualTo(3);
            } catch (java.nio.file.NoSuchFileException e) {
                // every checkpoint published a version
            }
        } finally {
            if (!first.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
                first.cancel().get(30, TimeUnit.SECONDS);
            }
            if (second != null) {
                second.cancel().get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** The trainer job with a map that throws once {@link #FAIL_NEXT} is set, reading from the earliest offsets. */
    private static JobClient submitTrainerWithFailureSwitch(TrainerConfig training, Configuration flink, String name)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        TrainerJob job = new TrainerJob(training, TrainerJob.eventsSource(training)
                .setStartingOffsets(OffsetsInitializer.earliest()).build(), TrainerJob.announcementSink(training));
        job.attachTrainer(job.decodedEvents(env).map(e -> {
            if (FAIL_NEXT.compareAndSet(true, false)) {
                FAILED.set(true);
                throw new IllegalStateException("injected failure");
            }
            return e;
        }).returns(ClickEvent.class).name("fail-once").uid("fail-once"));
        return env.executeAsync(name);
    }

    /** The newest {@code chk-<n>} directory with a {@code _metadata} file under a job's checkpoint directory. */
    private static Path latestRetainedCheckpoint(Path jobDir) throws Exception {
        try (var dirs = java.nio.file.Files.list(jobDir)) {
            return dirs.filter(d -> d.getFileName().toString().startsWith("chk-"))
                    .filter(d -> java.nio.file.Files.exists(d.resolve("_metadata")))
                    .max(java.util.Comparator.comparingLong(d -> Long.parseLong(d.getFileName().toString().substring(4))))
                    .orElseThrow(() -> new AssertionError("no retained checkpoint in " + jobDir));
        }
    }

    // ------------------------------------------------------------------ data

    /** {@code rscEvents} rsc15 test events (time-ordered) interleaved with {@code newSessions} A→B→C→D sessions. */
    private static List<ClickEvent> traffic(int rscEvents, int newSessions) {
        List<ClickEvent> rsc = new ArrayList<>();
        ClickEventFactory factory = new ClickEventFactory("rsc15-test", ReplayClock.epochMillis());
        TimeOrderedEvents order = new TimeOrderedEvents(test.sessions());
        for (int i = 0; i < rscEvents && order.hasNext(); i++) {
            rsc.add(factory.create(order.next()));
        }
        List<ClickEvent> out = new ArrayList<>();
        int every = Math.max(1, rsc.size() / (newSessions * NEW_ITEMS.size()));
        int session = 0;
        int step = 0;
        for (int i = 0; i < rsc.size(); i++) {
            ClickEvent e = rsc.get(i);
            out.add(e);
            if (i % every == 0 && session < newSessions) {
                // One new-item session at a time, its events spread between rsc15 events.
                String id = "new-s" + session;
                out.add(event(id + "-" + step, id, NEW_ITEMS.get(step), e.getEventTime()));
                if (++step == NEW_ITEMS.size()) {
                    step = 0;
                    session++;
                }
            }
        }
        return out;
    }

    /** Probes carry event times of the data, so they do not move the trainer's event time past the live sessions. */
    private static Instant firstTestEventTime() {
        return Instant.ofEpochMilli(new TimeOrderedEvents(test.sessions()).next().datasetTime());
    }

    /** Single-event sessions on new-A. */
    private static List<ClickEvent> probes(String prefix, int n, Instant time) {
        List<ClickEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(event(prefix + "-" + i, prefix + "-user-" + i, "new-A", time));
        }
        return out;
    }

    private static ClickEvent event(String eventId, String user, String item, Instant time) {
        return ClickEvent.newBuilder().setEventId(eventId).setUserId(user).setSessionId(user).setItemId(item)
                .setEventType(EventType.VIEW).setEventTime(time).build();
    }

    /** Training pairs the trainer makes of {@code events}: per session, consecutive events within the 30 min gap. */
    private static long pairs(List<ClickEvent> events) {
        Map<String, Instant> last = new HashMap<>();
        long pairs = 0;
        for (ClickEvent e : events) {
            Instant previous = last.put(e.getSessionId().toString(), e.getEventTime());
            if (previous != null && Duration.between(previous, e.getEventTime()).compareTo(Duration.ofMinutes(30)) <= 0) {
                pairs++;
            }
        }
        return pairs;
    }

    private static List<ProducerRecord<byte[], byte[]>> records(String topic, AvroCodec<ClickEvent> codec,
                                                                List<ClickEvent> events) {
        return events.stream().map(e -> new ProducerRecord<>(topic,
                e.getUserId().toString().getBytes(StandardCharsets.UTF_8), codec.encode(e))).toList();
    }

    // ------------------------------------------------------------------ reading back

    private static List<ModelAnnouncement> announcements(String topic) {
        AvroCodec<ModelAnnouncement> codec = AvroCodec.modelAnnouncements();
        return KAFKA.consumeCommitted(topic, 1, Duration.ofSeconds(2)).stream()
                .map(r -> ((DecodeResult.Decoded<ModelAnnouncement>) codec.decode(r.value())).value()).toList();
    }

    private static ModelAnnouncement waitForAnnouncement(String topic, Predicate<ModelAnnouncement> wanted,
                                                         Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ModelAnnouncement> seen = List.of();
        while (System.nanoTime() < deadline) {
            seen = announcements(topic);
            for (ModelAnnouncement a : seen) {
                if (wanted.test(a)) {
                    return a;
                }
            }
            Thread.sleep(300);
        }
        throw new AssertionError("no wanted announcement on " + topic + " within " + timeout + "; saw " + seen);
    }

    private static List<Recommendation> recommendations(String topic, int expected, Predicate<Recommendation> filter)
            throws InterruptedException {
        AvroCodec<Recommendation> codec = AvroCodec.recommendations();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<Recommendation> matching = List.of();
        while (System.nanoTime() < deadline) {
            matching = KAFKA.consumeCommitted(topic, 1, Duration.ofSeconds(2)).stream()
                    .map(r -> ((DecodeResult.Decoded<Recommendation>) codec.decode(r.value())).value())
                    .filter(filter).toList();
            if (matching.size() >= expected) {
                return matching;
            }
            Thread.sleep(200);
        }
        return matching;
    }

    private static List<String> itemIds(Recommendation r) {
        return r.getItems().stream().map(RecommendedItem::getItemId).map(CharSequence::toString).toList();
    }
}
