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
import java.util.stream.Collectors;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
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
import org.streamrec.flink.kafka.KafkaBrokerExtension;

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
        RecommenderConfig config = RecommenderConfig.parse(
                "--bootstrap-servers", KAFKA.bootstrapServers(),
                "--events-topic", "it-events", "--recommendations-topic", "it-recs",
                "--dlq-topic", "it-dlq", "--model-updates-topic", "it-models",
                "--model-uri", "mem://v1", "--k", "3", "--batch-max-size", "8",
                "--checkpoint-interval", "300 ms", "--parallelism", String.valueOf(PARALLELISM),
                "--transactional-id-prefix", "recommender-it", "--transaction-timeout", "5 min");
        KAFKA.createTopic("it-events", 3);
        KAFKA.createTopic("it-recs", 2);
        KAFKA.createTopic("it-dlq", 1);
        KAFKA.createTopic("it-models", 1, Map.of("cleanup.policy", "compact"));

        AvroCodec<ClickEvent> events = AvroCodec.clickEvents();
        List<ClickEvent> valid = validEvents(new Random(7));
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (ClickEvent e : valid) {
            records.add(new ProducerRecord<>("it-events", utf8(e.getUserId()), events.encode(e)));
        }
        byte[] good = events.encode(valid.get(0));
        ClickEvent blankItem = ClickEvent.newBuilder(valid.get(0)).setEventId("bad-1").setItemId(" ").build();
        Map<String, byte[]> bad = new LinkedHashMap<>();
        bad.put("BAD_HEADER", utf8("{\"not\": \"avro\"}"));
        bad.put("TRUNCATED", Arrays.copyOf(good, good.length - 3));
        bad.put("INVALID_FIELD", events.encode(blankItem));
        bad.put("EMPTY", null);
        // Put the bad records between good ones of the same key: the job must carry on past them.
        int at = 5;
        for (Map.Entry<String, byte[]> b : bad.entrySet()) {
            records.add(at, new ProducerRecord<>("it-events", utf8("user-0"), b.getValue()));
            at += 11;
        }
        KAFKA.produce(records);
        KAFKA.produce(List.of(new ProducerRecord<>("it-models", utf8("model"),
                AvroCodec.modelAnnouncements().encode(ModelAnnouncement.newBuilder()
                        .setVersion(2).setParentVersion(1L).setSnapshotUri("mem://v2").setChecksum("test")
                        .setItemCount(TestModels.ITEMS).setTrainingEventsSeen(0).setCreatedTime(Instant.EPOCH)
                        .build()))));

        Configuration flink = RecommenderJob.flinkConfiguration(config);
        flink.set(RocksDBOptions.LOCAL_DIRECTORIES, dir.resolve("rocksdb").toString());
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.resolve("checkpoints").toUri().toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        new RecommenderJob(config,
                RecommenderJob.eventsSource(config)
                        .setStartingOffsets(OffsetsInitializer.earliest())
                        .setBounded(OffsetsInitializer.latest()).build(),
                RecommenderJob.announcementsSource(config).setBounded(OffsetsInitializer.latest()).build(),
                RecommenderJob.recommendationsSink(config),
                RecommenderJob.deadLetterSink(config),
                new TestModels()).build(env);
        env.execute("recommender-job-it");

        AvroCodec<Recommendation> recCodec = AvroCodec.recommendations();
        List<Recommendation> recs = KAFKA.consumeCommitted("it-recs", valid.size(), Duration.ofSeconds(60)).stream()
                .map(r -> decoded(recCodec.decode(r.value()))).toList();
        assertThat(recs).extracting(Recommendation::getTriggeringEventId)
                .doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(valid.stream().map(ClickEvent::getEventId).toList());
        assertThat(recs).allSatisfy(r -> {
            assertThat(r.getItems()).hasSize(3);
            assertThat(r.getModelVersion()).isIn(1L, 2L);
        });
        // Every user's first event is of a known item, so nothing needed the fallback.
        assertThat(recs).extracting(Recommendation::getStrategy).containsOnly(RecommendationStrategy.MODEL);
        Map<String, List<String>> inputOrder = valid.stream().collect(Collectors.groupingBy(ClickEvent::getUserId,
                Collectors.mapping(ClickEvent::getEventId, Collectors.toList())));
        Map<String, List<String>> outputOrder = recs.stream().collect(Collectors.groupingBy(Recommendation::getUserId,
                Collectors.mapping(Recommendation::getTriggeringEventId, Collectors.toList())));
        assertThat(outputOrder).isEqualTo(inputOrder);

        AvroCodec<DeadLetter> dlqCodec = AvroCodec.deadLetters();
        List<ConsumerRecord<byte[], byte[]>> dlqRecords = KAFKA.consumeCommitted("it-dlq", bad.size(), Duration.ofSeconds(60));
        List<DeadLetter> dead = dlqRecords.stream().map(r -> decoded(dlqCodec.decode(r.value()))).toList();
        assertThat(dead).extracting(DeadLetter::getErrorCode).containsExactlyInAnyOrderElementsOf(bad.keySet());
        for (DeadLetter d : dead) {
            byte[] expected = bad.get(d.getErrorCode());
            assertThat(d.getPayload() == null ? null : bytes(d.getPayload())).isEqualTo(expected);
            assertThat(bytes(d.getKey())).isEqualTo(utf8("user-0"));
            assertThat(d.getSourceTopic()).isEqualTo("it-events");
            assertThat(d.getSourceOffset()).isNotNegative();
            assertThat(d.getReason()).isNotBlank();
        }
        assertThat(dlqRecords).allSatisfy(r -> assertThat(r.key()).isEqualTo(utf8("user-0")));
    }

    /** Five users, 20 events each, interleaved; items mostly known, some unknown to the model. */
    private static List<ClickEvent> validEvents(Random random) {
        Instant start = Instant.parse("2026-11-23T08:00:00Z");
        List<ClickEvent> out = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            for (int u = 0; u < 5; u++) {
                String item = i == 0 ? "i" + u : random.nextInt(10) == 0 ? "unknown-" + i : "i" + random.nextInt(6);
                out.add(ClickEvent.newBuilder()
                        .setEventId("u" + u + "-e" + i)
                        .setUserId("user-" + u)
                        .setItemId(item)
                        .setEventType(EventType.VIEW)
                        .setEventTime(start.plusSeconds(i * 20L + u))
                        .build());
            }
        }
        return out;
    }

    private static <T> T decoded(DecodeResult<T> result) {
        assertThat(result).isInstanceOf(DecodeResult.Decoded.class);
        return ((DecodeResult.Decoded<T>) result).value();
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
