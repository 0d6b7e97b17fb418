package org.streamrec.tools.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.accumulators.ListAccumulator;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.serialization.AbstractDeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendationStrategy;
import org.streamrec.avro.RecommendedItem;

/**
 * The Kafka → Flink → Kafka path on real components: a KRaft broker in this JVM, a Flink MiniCluster with two
 * task slots, RocksDB keyed state, checkpoints every 500 ms and an exactly-once transactional KafkaSink.
 *
 * <p>The job is a pipeline test, not the recommender: per user it counts events and remembers the previous item,
 * and answers each event with a {@link Recommendation} whose single item is the user's previous item and whose
 * score is the running count. That makes every property of the wiring checkable from the output alone: one
 * committed record per input event, per-user order kept through {@code keyBy}, and keyed state carried from one
 * event to the next.
 */
class KafkaFlinkPipelineIT {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaFlinkPipelineIT.class);

    private static final int PARALLELISM = 2;
    private static final int USERS = 7;
    private static final String EVENTS_TOPIC = "events";
    private static final String OUTPUT_TOPIC = "recommendations";
    private static final String STATE_IMPL_ACCUMULATOR = "keyed-state-implementation";

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(PARALLELISM)
                    .build());

    @Test
    void everyEventYieldsExactlyOneCommittedRecordCarryingItsUsersKeyedState(@TempDir Path flinkDir) throws Exception {
        KAFKA.createTopic(EVENTS_TOPIC, 4);
        KAFKA.createTopic(OUTPUT_TOPIC, 3);
        List<ClickEvent> events = clickEvents(new Random(20261123));
        KAFKA.produce(events.stream()
                .map(e -> new ProducerRecord<>(EVENTS_TOPIC, utf8(e.getUserId()), encode(e)))
                .collect(Collectors.toList()));

        JobExecutionResult result = pipeline(flinkDir).execute("kafka-flink-kafka pipeline test");
        LOG.info("{} events of {} users through the job in {} ms", events.size(), USERS,
                result.getNetRuntime(TimeUnit.MILLISECONDS));

        List<Recommendation> output = KAFKA.consumeCommitted(OUTPUT_TOPIC, events.size(), Duration.ofSeconds(60))
                .stream().map(KafkaFlinkPipelineIT::decodeRecommendation).collect(Collectors.toList());

        assertThat(output).hasSize(events.size());
        assertThat(output).extracting(Recommendation::getTriggeringEventId)
                .doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(events.stream().map(ClickEvent::getEventId).toList());

        Map<String, List<ClickEvent>> inputByUser = groupByUser(events, ClickEvent::getUserId);
        Map<String, List<Recommendation>> outputByUser = groupByUser(output, Recommendation::getUserId);
        assertThat(outputByUser.keySet()).containsExactlyInAnyOrderElementsOf(inputByUser.keySet());
        inputByUser.forEach((user, userEvents) -> {
            List<Recommendation> userOutput = outputByUser.get(user);
            assertThat(userOutput).extracting(Recommendation::getTriggeringEventId)
                    .as("output of %s follows its input order", user)
                    .containsExactlyElementsOf(userEvents.stream().map(ClickEvent::getEventId).toList());
            assertThat(userOutput).extracting(r -> (int) r.getItems().get(0).getScore())
                    .as("running event count of %s kept in keyed state", user)
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, userEvents.size()).boxed().toList());
            List<String> previousItems = new ArrayList<>();
            previousItems.add(RunningCountPerUser.NO_PREVIOUS_ITEM);
            userEvents.subList(0, userEvents.size() - 1).forEach(e -> previousItems.add(e.getItemId()));
            assertThat(userOutput).extracting(r -> r.getItems().get(0).getItemId())
                    .as("previous item of %s kept in keyed state", user)
                    .containsExactlyElementsOf(previousItems);
        });

        List<String> stateImplementations = result.getAccumulatorResult(STATE_IMPL_ACCUMULATOR);
        assertThat(stateImplementations)
                .as("one entry per subtask, each a RocksDB state")
                .hasSize(PARALLELISM)
                .allMatch(name -> name.startsWith("org.apache.flink.state.rocksdb."), "is a RocksDB state class");
    }

    private static StreamExecutionEnvironment pipeline(Path flinkDir) {
        Configuration config = new Configuration();
        // Flink 2.x has no env.setStateBackend: the backend is chosen by configuration (docs/ARCHITECTURE.md, "Platform facts").
        config.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        config.set(RocksDBOptions.LOCAL_DIRECTORIES, flinkDir.resolve("rocksdb").toString());
        config.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(500));
        config.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, flinkDir.resolve("checkpoints").toUri().toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(PARALLELISM);

        // Bounded at the offsets that exist when the job starts, so the job finishes; its final checkpoint
        // commits the last Kafka transaction.
        KafkaSource<byte[]> source = KafkaSource.<byte[]>builder()
                .setBootstrapServers(KAFKA.bootstrapServers())
                .setTopics(EVENTS_TOPIC)
                .setGroupId("pipeline-it")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.latest())
                .setValueOnlyDeserializer(new RawBytes())
                .build();

        KafkaSink<Recommendation> sink = KafkaSink.<Recommendation>builder()
                .setBootstrapServers(KAFKA.bootstrapServers())
                .setRecordSerializer(KafkaRecordSerializationSchema.<Recommendation>builder()
                        .setTopic(OUTPUT_TOPIC)
                        .setKeySerializationSchema(new UserIdKey())
                        .setValueSerializationSchema(new RecommendationValue())
                        .build())
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix("streamrec-pipeline-it")
                // Must stay below the broker's transaction.max.timeout.ms (EmbeddedKafka: 1 h).
                .setProperty("transaction.timeout.ms", String.valueOf(Duration.ofMinutes(5).toMillis()))
                .build();

        env.fromSource(source, WatermarkStrategy.noWatermarks(), "events")
                .map(new DecodeClickEvent()).name("decode")
                .keyBy(ClickEvent::getUserId)
                .process(new RunningCountPerUser()).name("running-count-per-user")
                .sinkTo(sink).name("recommendations");
        return env;
    }

    /** Events of {@link #USERS} users, each user's events in time order, users interleaved at random. */
    private static List<ClickEvent> clickEvents(Random random) {
        Instant start = Instant.parse("2026-11-23T08:00:00Z");
        List<List<ClickEvent>> perUser = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            int count = 30 + random.nextInt(31);
            List<ClickEvent> userEvents = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                userEvents.add(ClickEvent.newBuilder()
                        .setEventId("u" + u + "-e" + i)
                        .setUserId("user-" + u)
                        .setSessionId("user-" + u + "-s" + (i / 10))
                        .setItemId("item-" + random.nextInt(500))
                        .setEventType(EventType.values()[random.nextInt(EventType.values().length)])
                        .setEventTime(start.plusSeconds(u * 7L + i * 13L))
                        .build());
            }
            perUser.add(userEvents);
        }
        List<ClickEvent> interleaved = new ArrayList<>();
        int[] next = new int[USERS];
        while (interleaved.size() < perUser.stream().mapToInt(List::size).sum()) {
            int u = random.nextInt(USERS);
            if (next[u] < perUser.get(u).size()) {
                interleaved.add(perUser.get(u).get(next[u]++));
            }
        }
        return interleaved;
    }

    /** The pipeline-test operator: per user, a running event count and the previous item, both in keyed state. */
    static final class RunningCountPerUser extends KeyedProcessFunction<String, ClickEvent, Recommendation> {
        static final String NO_PREVIOUS_ITEM = "";

        private transient ValueState<Long> eventCount;
        private transient ValueState<String> previousItem;

        @Override
        public void open(OpenContext openContext) {
            eventCount = getRuntimeContext().getState(new ValueStateDescriptor<>("event-count", Long.class));
            previousItem = getRuntimeContext().getState(new ValueStateDescriptor<>("previous-item", String.class));
            // Reports which keyed-state implementation the configured backend handed out, so the test can check
            // that the state really lives in RocksDB rather than trusting the configuration key.
            ListAccumulator<String> stateImplementations = new ListAccumulator<>();
            stateImplementations.add(eventCount.getClass().getName());
            getRuntimeContext().addAccumulator(STATE_IMPL_ACCUMULATOR, stateImplementations);
        }

        @Override
        public void processElement(ClickEvent event, Context ctx, Collector<Recommendation> out) throws IOException {
            long count = eventCount.value() == null ? 1 : eventCount.value() + 1;
            String previous = previousItem.value() == null ? NO_PREVIOUS_ITEM : previousItem.value();
            eventCount.update(count);
            previousItem.update(event.getItemId());
            out.collect(Recommendation.newBuilder()
                    .setTriggeringEventId(event.getEventId())
                    .setUserId(event.getUserId())
                    .setSessionId(event.getSessionId() == null ? "" : event.getSessionId())
                    .setItems(List.of(new RecommendedItem(previous, (float) count)))
                    .setModelVersion(0L)
                    .setStrategy(RecommendationStrategy.FALLBACK)
                    .setEventTime(event.getEventTime())
                    .setEmitTime(Instant.now())
                    .build());
        }
    }

    static final class RawBytes extends AbstractDeserializationSchema<byte[]> {
        @Override
        public byte[] deserialize(byte[] message) {
            return message;
        }
    }

    /** Named classes, not lambdas: Flink cannot infer the element type of a lambda SerializationSchema. */
    static final class UserIdKey implements SerializationSchema<Recommendation> {
        @Override
        public byte[] serialize(Recommendation recommendation) {
            return utf8(recommendation.getUserId());
        }
    }

    static final class RecommendationValue implements SerializationSchema<Recommendation> {
        @Override
        public byte[] serialize(Recommendation recommendation) {
            return encodeRecommendation(recommendation);
        }
    }

    static final class DecodeClickEvent implements MapFunction<byte[], ClickEvent> {
        @Override
        public ClickEvent map(byte[] value) throws IOException {
            return ClickEvent.getDecoder().decode(value);
        }
    }

    private static <T> Map<String, List<T>> groupByUser(List<T> records, Function<T, String> user) {
        return records.stream().collect(Collectors.groupingBy(user, LinkedHashMap::new, Collectors.toList()));
    }

    private static byte[] encode(ClickEvent event) {
        try {
            return toArray(ClickEvent.getEncoder().encode(event));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] encodeRecommendation(Recommendation recommendation) {
        try {
            return toArray(Recommendation.getEncoder().encode(recommendation));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Recommendation decodeRecommendation(ConsumerRecord<byte[], byte[]> record) {
        try {
            return Recommendation.getDecoder().decode(record.value());
        } catch (IOException e) {
            throw new UncheckedIOException("Undecodable record at offset " + record.offset(), e);
        }
    }

    private static byte[] toArray(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
