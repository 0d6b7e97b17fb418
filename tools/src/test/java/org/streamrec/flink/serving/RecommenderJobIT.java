package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.EventType;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendationStrategy;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.tools.kafka.KafkaBrokerExtension;

/**
 * The real serving topology ({@link RecommenderJob#build}) on a real KRaft broker and a Flink MiniCluster with
 * RocksDB, checkpoints and exactly-once Kafka sinks; the only test double is the model ({@link TestModels}), because
 * the job under test is the wiring, not GRU4Rec. Both sources are bounded at the offsets present at start, so the job
 * finishes and its final checkpoint commits the last transactions.
 */
class RecommenderJobIT {

    private static final int PARALLELISM = 2;

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(PARALLELISM)
                    .build());

    @Test
    void everyValidEventYieldsExactlyOneCommittedRecommendationAndBadRecordsLandInTheDlq(@TempDir Path dir)
            throws Exception {
        Scenario sc = new Scenario("it", "mem://v1", 5, 20);
        KAFKA.produce(sc.records);
        announce(sc.config, "mem://v2");
        StreamExecutionEnvironment env = environment(sc.config, dir, new Configuration());
        new RecommenderJob(sc.config,
                RecommenderJob.eventsSource(sc.config)
                        .setStartingOffsets(OffsetsInitializer.earliest())
                        .setBounded(OffsetsInitializer.latest()).build(),
                RecommenderJob.announcementsSource(sc.config).setBounded(OffsetsInitializer.latest()).build(),
                RecommenderJob.recommendationsSink(sc.config),
                RecommenderJob.deadLetterSink(sc.config),
                new TestModels()).build(env);
        env.execute("recommender-job-it");
        sc.checkCommittedOutput();
    }

    /**
     * Exactly-once across a failure, on unbounded sources while events keep arriving: once committed output shows
     * that a checkpoint has completed, the model's next scoring call throws (once per JVM); the job restarts from
     * its last completed checkpoint, and the committed output still holds each event exactly once, in per-user order. This is
     * what flushing the micro-batch in prepareSnapshotPreBarrier buys: no request is lost with the failed attempt.
     */
    @Test
    void exactlyOnceOutputSurvivesAFailureAndRestoreMidStream(@TempDir Path dir) throws Exception {
        TestModels.FAIL_NOW.set(false);
        TestModels.INJECTED_FAILURE.set(false);
        Scenario sc = new Scenario("fail", "mem://v1-fails-on-demand", 10, 120);
        Configuration restart = new Configuration();
        restart.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        StreamExecutionEnvironment env = environment(sc.config, dir, restart);
        new RecommenderJob(sc.config,
                RecommenderJob.eventsSource(sc.config).setStartingOffsets(OffsetsInitializer.earliest()).build(),
                RecommenderJob.announcementsSource(sc.config).build(),
                RecommenderJob.recommendationsSink(sc.config),
                RecommenderJob.deadLetterSink(sc.config),
                new TestModels()).build(env);
        JobClient job = env.executeAsync("recommender-job-failure-it");
        try {
            // First half of the input, then wait until output is committed (a checkpoint has completed), then fail
            // on the next scoring call while the second half arrives: the failure always hits mid-stream, after a
            // completed checkpoint, however slow the machine.
            int half = sc.records.size() / 2;
            produceInChunks(sc.records.subList(0, half));
            assertThat(KAFKA.consumeCommitted(sc.recsTopic, 1, Duration.ofSeconds(60)))
                    .as("committed output, i.e. a completed checkpoint, before the failure").isNotEmpty();
            TestModels.FAIL_NOW.set(true);
            produceInChunks(sc.records.subList(half, sc.records.size()));
            sc.checkCommittedOutput();
            assertThat(TestModels.INJECTED_FAILURE).as("the failure was injected").isTrue();
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    /** Sends records 40 at a time, 100 ms apart, as a live stream would arrive. */
    private static void produceInChunks(List<ProducerRecord<byte[], byte[]>> records) throws InterruptedException {
        for (int from = 0; from < records.size(); from += 40) {
            KAFKA.produce(records.subList(from, Math.min(records.size(), from + 40)));
            Thread.sleep(100);
        }
    }

    private static StreamExecutionEnvironment environment(RecommenderConfig config, Path dir, Configuration extra) {
        Configuration flink = RecommenderJob.flinkConfiguration(config);
        flink.addAll(extra);
        flink.set(RocksDBOptions.LOCAL_DIRECTORIES, dir.resolve("rocksdb").toString());
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.resolve("checkpoints").toUri().toString());
        return StreamExecutionEnvironment.getExecutionEnvironment(flink);
    }

    private static void announce(RecommenderConfig config, String uri) {
        KAFKA.produce(List.of(new ProducerRecord<>(config.modelUpdatesTopic(), utf8("model"),
                AvroCodec.modelAnnouncements().encode(ModelAnnouncement.newBuilder()
                        .setVersion(2).setParentVersion(1L).setSnapshotUri(uri).setChecksum("test")
                        .setItemCount(TestModels.ITEMS).setTrainingEventsSeen(0).setCreatedTime(Instant.EPOCH)
                        .build()))));
    }

    /** Topics, configuration and input of one run (good events with bad records among them), and its checks. */
    private static final class Scenario {
        final String eventsTopic;
        final String recsTopic;
        final String dlqTopic;
        final RecommenderConfig config;
        final List<ClickEvent> valid;
        final Map<String, byte[]> bad = new LinkedHashMap<>();
        final List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();

        Scenario(String prefix, String modelUri, int users, int eventsPerUser) {
            eventsTopic = prefix + "-events";
            recsTopic = prefix + "-recs";
            dlqTopic = prefix + "-dlq";
            String modelsTopic = prefix + "-models";
            config = RecommenderConfig.parse(
                    "--bootstrap-servers", KAFKA.bootstrapServers(),
                    "--events-topic", eventsTopic, "--recommendations-topic", recsTopic,
                    "--dlq-topic", dlqTopic, "--model-updates-topic", modelsTopic,
                    "--model-uri", modelUri, "--k", "3", "--batch-max-size", "8",
                    "--checkpoint-interval", "300 ms", "--parallelism", String.valueOf(PARALLELISM),
                    "--transactional-id-prefix", prefix + "-recommender-it", "--transaction-timeout", "5 min");
            KAFKA.createTopic(eventsTopic, 3);
            KAFKA.createTopic(recsTopic, 2);
            KAFKA.createTopic(dlqTopic, 1);
            KAFKA.createTopic(modelsTopic, 1, Map.of("cleanup.policy", "compact"));

            AvroCodec<ClickEvent> events = AvroCodec.clickEvents();
            valid = FaultScenario.validEvents(new Random(7), users, eventsPerUser);
            for (ClickEvent e : valid) {
                records.add(new ProducerRecord<>(eventsTopic, utf8(e.getUserId()), events.encode(e)));
            }
            byte[] good = events.encode(valid.get(0));
            ClickEvent blankItem = ClickEvent.newBuilder(valid.get(0)).setEventId("bad-1").setItemId(" ").build();
            bad.put("BAD_HEADER", utf8("{\"not\": \"avro\"}"));
            bad.put("TRUNCATED", Arrays.copyOf(good, good.length - 3));
            bad.put("INVALID_FIELD", events.encode(blankItem));
            bad.put("EMPTY", null);
            // Put the bad records between good ones of the same key: the job must carry on past them.
            int at = 5;
            for (Map.Entry<String, byte[]> b : bad.entrySet()) {
                records.add(at, new ProducerRecord<>(eventsTopic, utf8("user-0"), b.getValue()));
                at += 11;
            }
        }

        void checkCommittedOutput() {
            AvroCodec<Recommendation> recCodec = AvroCodec.recommendations();
            List<Recommendation> recs = KAFKA.consumeCommitted(recsTopic, valid.size(), Duration.ofSeconds(60))
                    .stream().map(r -> FaultScenario.decoded(recCodec.decode(r.value()))).toList();
            assertThat(recs).extracting(Recommendation::getTriggeringEventId)
                    .doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(valid.stream().map(ClickEvent::getEventId).toList());
            assertThat(recs).allSatisfy(r -> {
                assertThat(r.getItems()).hasSize(3);
                assertThat(r.getModelVersion()).isIn(1L, 2L);
            });
            // Every user's first event is of a known item, so nothing needed the fallback.
            assertThat(recs).extracting(Recommendation::getStrategy).containsOnly(RecommendationStrategy.MODEL);
            Map<String, List<String>> inputOrder = valid.stream().collect(Collectors.groupingBy(
                    ClickEvent::getUserId, Collectors.mapping(ClickEvent::getEventId, Collectors.toList())));
            Map<String, List<String>> outputOrder = recs.stream().collect(Collectors.groupingBy(
                    Recommendation::getUserId,
                    Collectors.mapping(Recommendation::getTriggeringEventId, Collectors.toList())));
            assertThat(outputOrder).isEqualTo(inputOrder);

            AvroCodec<DeadLetter> dlqCodec = AvroCodec.deadLetters();
            List<ConsumerRecord<byte[], byte[]>> dlqRecords =
                    KAFKA.consumeCommitted(dlqTopic, bad.size(), Duration.ofSeconds(60));
            List<DeadLetter> dead = dlqRecords.stream().map(r -> FaultScenario.decoded(dlqCodec.decode(r.value()))).toList();
            assertThat(dead).extracting(DeadLetter::getErrorCode).containsExactlyInAnyOrderElementsOf(bad.keySet());
            for (DeadLetter d : dead) {
                byte[] expected = bad.get(d.getErrorCode());
                assertThat(d.getPayload() == null ? null : bytes(d.getPayload())).isEqualTo(expected);
                assertThat(bytes(d.getKey())).isEqualTo(utf8("user-0"));
                assertThat(d.getSourceTopic()).isEqualTo(eventsTopic);
                assertThat(d.getSourceOffset()).isNotNegative();
                assertThat(d.getReason()).isNotBlank();
            }
            assertThat(dlqRecords).allSatisfy(r -> assertThat(r.key()).isEqualTo(utf8("user-0")));
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
