package org.streamrec.tools.ops;

import org.streamrec.flink.kafka.Topics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.EventType;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendationStrategy;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.tools.kafka.KafkaBrokerExtension;
import org.streamrec.tools.replay.MalformedRecords;

/**
 * The end-to-end checker must catch what it is there to catch, not just pass: against a real broker, with the
 * topics created by {@link Topics}, a missing answer, an answer only written in an aborted transaction (invisible to
 * {@code read_committed}), a duplicate answer and a missing dead letter each fail their check.
 */
class PipelineCheckIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final AvroCodec<ClickEvent> EVENTS = AvroCodec.clickEvents();
    private static final AvroCodec<Recommendation> RECOMMENDATIONS = AvroCodec.recommendations();
    private static final AvroCodec<DeadLetter> DEAD_LETTERS = AvroCodec.deadLetters();
    /** A plausible event time: ClickEventRules reject times before 1990 or far ahead of the clock. */
    private static final Instant EVENT_TIME = Instant.parse("2026-11-23T00:00:00Z");

    @Test
    void failsOnMissingDuplicateAndUncommittedOutputAndPassesWhenComplete() throws Exception {
        try (Admin admin = LocalOps.admin(KAFKA.bootstrapServers())) {
            assertThat(Topics.createMissing(admin, 2)).containsExactlyInAnyOrder(
                    Topics.EVENTS, Topics.RECOMMENDATIONS, Topics.DLQ, Topics.MODEL_UPDATES, Topics.SERVING_CONTROL);
            assertThat(Topics.createMissing(admin, 2)).isEmpty();
            assertThat(admin.describeConfigs(List.of(new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, Topics.MODEL_UPDATES))).all().get()
                    .values().iterator().next().get("cleanup.policy").value()).isEqualTo("compact");
        }
        MalformedRecords.MalformedRecord malformed = MalformedRecords.generate(1, EVENTS).get(0);
        String malformedCode = malformed.kind().expectedError().name();
        KAFKA.produce(List.of(
                event("e1", "u1"), event("e2", "u2"), event("e3", "u1"),
                new ProducerRecord<>(Topics.EVENTS, malformed.key(), malformed.value())));
        KAFKA.produce(List.of(answer("e1", "u1"), answer("e2", "u2")));
        produceAborted(answer("e3", "u1"));
        PipelineCheck.Expectations expected = new PipelineCheck.Expectations(3, 1, -1);

        Map<String, PipelineCheck.Check> first = run(expected);
        assertThat(first.get("input-as-replayed").passed()).isTrue();
        assertThat(first.get("every-valid-event-answered").passed()).as("e3's only answer was aborted").isFalse();
        assertThat(first.get("every-valid-event-answered").detail()).contains("2 of 3");
        assertThat(first.get("dead-letters").passed()).as("no dead letter yet").isFalse();
        assertThat(first.get("answered-exactly-once").passed()).isTrue();
        assertThat(first.get("model-scored").passed()).isTrue();

        KAFKA.produce(List.of(answer("e3", "u1"), answer("e1", "u1"), deadLetter(malformedCode)));
        Map<String, PipelineCheck.Check> second = run(expected);
        assertThat(second.get("every-valid-event-answered").passed()).isTrue();
        assertThat(second.get("dead-letters").passed()).isTrue();
        assertThat(second.get("answered-exactly-once").passed()).as("e1 answered twice").isFalse();
        assertThat(second.get("answered-exactly-once").detail()).startsWith("1 duplicate answers");
        assertThat(second).doesNotContainKey("trainer-published");

        Map<String, PipelineCheck.Check> withTrainer = run(new PipelineCheck.Expectations(3, 1, 1));
        assertThat(withTrainer.get("trainer-published").passed()).as("nothing was announced").isFalse();
    }

    private static Map<String, PipelineCheck.Check> run(PipelineCheck.Expectations expected) {
        PrintStream log = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        return new PipelineCheck(KAFKA.bootstrapServers()).run(expected, Duration.ofSeconds(3), log).stream()
                .collect(Collectors.toMap(PipelineCheck.Check::name, Function.identity()));
    }

    private static ProducerRecord<byte[], byte[]> event(String id, String user) {
        ClickEvent event = ClickEvent.newBuilder().setEventId(id).setUserId(user).setSessionId("s-" + user)
                .setItemId("item-" + id).setEventType(EventType.CLICK).setEventTime(EVENT_TIME).build();
        return new ProducerRecord<>(Topics.EVENTS, bytes(user), EVENTS.encode(event));
    }

    private static ProducerRecord<byte[], byte[]> answer(String eventId, String user) {
        Recommendation r = Recommendation.newBuilder().setTriggeringEventId(eventId).setUserId(user).setSessionId("s-" + user)
                .setItems(List.of(new RecommendedItem("item-x", 0.5f))).setModelVersion(1)
                .setStrategy(RecommendationStrategy.MODEL).setEventTime(EVENT_TIME)
                .setEmitTime(Instant.ofEpochMilli(2_000)).build();
        return new ProducerRecord<>(Topics.RECOMMENDATIONS, bytes(user), RECOMMENDATIONS.encode(r));
    }

    private static ProducerRecord<byte[], byte[]> deadLetter(String code) {
        DeadLetter d = DeadLetter.newBuilder().setSourceTopic(Topics.EVENTS).setSourcePartition(0).setSourceOffset(3)
                .setErrorCode(code).setReason("test").setFailedAt(Instant.ofEpochMilli(2_000)).build();
        return new ProducerRecord<>(Topics.DLQ, null, DEAD_LETTERS.encode(d));
    }

    private static void produceAborted(ProducerRecord<byte[], byte[]> record) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "pipeline-check-it",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(record).get();
            producer.abortTransaction();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
