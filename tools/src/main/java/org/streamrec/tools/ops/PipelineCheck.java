package org.streamrec.tools.ops;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendationStrategy;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.flink.kafka.Topics;

/**
 * Checks a running pipeline from the outside, as a downstream consumer sees it: reads the whole {@code events}
 * topic and classifies every record the way the serving job's decoder does, then reads {@code recommendations},
 * {@code events.dlq} and {@code model-updates} with {@code read_committed} (the job's sinks are transactional:
 * output becomes visible at each completed checkpoint) until every expectation holds or the deadline passes.
 *
 * <p>Expectations: every valid event is answered by exactly one recommendation and nothing else is; some answers
 * come from the model (not only the popularity fallback), which shows ND4J scoring ran in the cluster; every invalid
 * record is dead-lettered once with the code the decoder gives it; and, if asked, a model version above a given
 * one was announced (the trainer published).
 */
public final class PipelineCheck {

    /** One named expectation and whether it held. */
    public record Check(String name, boolean passed, String detail) {
        @Override
        public String toString() {
            return "CHECK " + (passed ? "PASS" : "FAIL") + " " + name + ": " + detail;
        }
    }

    /** What to expect; {@code announcedVersionAbove < 0} skips the trainer check. */
    public record Expectations(long validEvents, long invalidEvents, long announcedVersionAbove) {
    }

    private final String bootstrapServers;

    public PipelineCheck(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    /** Runs the checks, waiting at most {@code timeout} for the output to complete; prints progress to {@code log}. */
    public List<Check> run(Expectations expected, Duration timeout, java.io.PrintStream log) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            // 1. The input, as the job's decoder classifies it.
            Set<String> validIds = new HashSet<>();
            Map<String, Long> invalidByCode = new TreeMap<>();
            long duplicateInputIds = 0;
            AvroCodec<ClickEvent> events = AvroCodec.clickEvents();
            for (ConsumerRecord<byte[], byte[]> record : readToEnd(consumer, Topics.EVENTS, Duration.ofSeconds(60))) {
                DecodeResult<ClickEvent> result = events.decodeAndValidate(record.value());
                if (result instanceof DecodeResult.Decoded<ClickEvent> decoded) {
                    if (!validIds.add(decoded.value().getEventId())) {
                        duplicateInputIds++;
                    }
                } else if (result instanceof DecodeResult.Failed<ClickEvent> failed) {
                    invalidByCode.merge(failed.error().name(), 1L, Long::sum);
                }
            }
            long invalid = invalidByCode.values().stream().mapToLong(Long::longValue).sum();
            log.printf("events topic: %,d valid (%,d duplicate ids), %,d invalid %s%n",
                    validIds.size(), duplicateInputIds, invalid, invalidByCode);

            // 2. The outputs, until complete or the deadline.
            AvroCodec<Recommendation> recommendations = AvroCodec.recommendations();
            AvroCodec<DeadLetter> deadLetters = AvroCodec.deadLetters();
            AvroCodec<ModelAnnouncement> announcements = AvroCodec.modelAnnouncements();
            Map<String, Integer> answers = new HashMap<>();
            long unexpected = 0;
            long undecodable = 0;
            long modelAnswers = 0;
            long fallbackAnswers = 0;
            Set<Long> servedVersions = new TreeSet<>();
            Map<String, Long> deadLettersByCode = new TreeMap<>();
            Set<Long> announced = new TreeSet<>();
            List<TopicPartition> outputs = new ArrayList<>();
            for (String topic : List.of(Topics.RECOMMENDATIONS, Topics.DLQ, Topics.MODEL_UPDATES)) {
                outputs.addAll(partitions(consumer, topic));
            }
            consumer.assign(outputs);
            consumer.seekToBeginning(outputs);
            long lastReport = System.nanoTime();
            while (true) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    switch (record.topic()) {
                        case Topics.RECOMMENDATIONS -> {
                            if (recommendations.decodeAndValidate(record.value()) instanceof DecodeResult.Decoded<Recommendation> r) {
                                String id = r.value().getTriggeringEventId();
                                if (!validIds.contains(id)) {
                                    unexpected++;
                                }
                                answers.merge(id, 1, Integer::sum);
                                if (r.value().getStrategy() == RecommendationStrategy.MODEL) {
                                    modelAnswers++;
                                } else {
                                    fallbackAnswers++;
                                }
                                servedVersions.add(r.value().getModelVersion());
                            } else {
                                undecodable++;
                            }
                        }
                        case Topics.DLQ -> {
                            if (deadLetters.decodeAndValidate(record.value()) instanceof DecodeResult.Decoded<DeadLetter> d) {
                                deadLettersByCode.merge(d.value().getErrorCode(), 1L, Long::sum);
                            } else {
                                undecodable++;
                            }
                        }
                        default -> {
                            if (announcements.decodeAndValidate(record.value()) instanceof DecodeResult.Decoded<ModelAnnouncement> a) {
                                announced.add(a.value().getVersion());
                            } else {
                                undecodable++;
                            }
                        }
                    }
                }
                long answered = validIds.stream().filter(answers::containsKey).count();
                long deadLettered = deadLettersByCode.values().stream().mapToLong(Long::longValue).sum();
                boolean announcedEnough = expected.announcedVersionAbove() < 0
                        || announced.stream().anyMatch(v -> v > expected.announcedVersionAbove());
                boolean complete = answered == validIds.size() && deadLettered >= invalid && announcedEnough;
                if (System.nanoTime() - lastReport > 5_000_000_000L || complete) {
                    log.printf("output: %,d of %,d valid events answered, %,d dead letters of %,d, announced versions %s%n",
                            answered, validIds.size(), deadLettered, invalid, announced);
                    lastReport = System.nanoTime();
                }
                if (complete || System.nanoTime() > deadline) {
                    break;
                }
            }
            // A short extra read: duplicates committed just after the last expected answer would otherwise be missed.
            long settle = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < settle) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.topic().equals(Topics.RECOMMENDATIONS)
                            && recommendations.decodeAndValidate(record.value()) instanceof DecodeResult.Decoded<Recommendation> r) {
                        answers.merge(r.value().getTriggeringEventId(), 1, Integer::sum);
                        if (!validIds.contains(r.value().getTriggeringEventId())) {
                            unexpected++;
                        }
                    } else if (record.topic().equals(Topics.DLQ)
                            && deadLetters.decodeAndValidate(record.value()) instanceof DecodeResult.Decoded<DeadLetter> d) {
                        deadLettersByCode.merge(d.value().getErrorCode(), 1L, Long::sum);
                    }
                }
            }

            long answered = validIds.stream().filter(answers::containsKey).count();
            long duplicates = answers.values().stream().filter(n -> n > 1).mapToLong(n -> n - 1).sum();
            List<Check> checks = new ArrayList<>();
            checks.add(new Check("input-as-replayed",
                    validIds.size() == expected.validEvents() && invalid == expected.invalidEvents() && duplicateInputIds == 0,
                    String.format("%,d valid events (expected %,d), %,d invalid records (expected %,d), %,d duplicate event ids",
                            validIds.size(), expected.validEvents(), invalid, expected.invalidEvents(), duplicateInputIds)));
            checks.add(new Check("every-valid-event-answered", validIds.size() > 0 && answered == validIds.size(),
                    String.format("%,d of %,d valid events have a committed recommendation", answered, validIds.size())));
            checks.add(new Check("answered-exactly-once", duplicates == 0 && unexpected == 0 && undecodable == 0,
                    String.format("%,d duplicate answers, %,d answers to unknown event ids, %,d undecodable output records",
                            duplicates, unexpected, undecodable)));
            checks.add(new Check("model-scored", modelAnswers > 0,
                    String.format("%,d answers scored by the model (ND4J on the cluster), %,d popularity fallback; model versions served %s",
                            modelAnswers, fallbackAnswers, servedVersions)));
            checks.add(new Check("dead-letters", deadLettersByCode.equals(invalidByCode),
                    String.format("dead letters by code %s, invalid input by code %s", deadLettersByCode, invalidByCode)));
            if (expected.announcedVersionAbove() >= 0) {
                checks.add(new Check("trainer-published", announced.stream().anyMatch(v -> v > expected.announcedVersionAbove()),
                        String.format("announced versions %s, expected one above %d", announced, expected.announcedVersionAbove())));
            }
            return checks;
        }
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, "streamrec-pipeline-check",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false));
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(topic, info.partition()));
        }
        return partitions;
    }

    /** Every committed record of {@code topic} up to its end offsets at the time of the call. */
    private static List<ConsumerRecord<byte[], byte[]>> readToEnd(KafkaConsumer<byte[], byte[]> consumer, String topic,
                                                                 Duration timeout) {
        List<TopicPartition> partitions = partitions(consumer, topic);
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read " + topic + " to its end offsets " + end + " within " + timeout);
            }
            consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        }
        return records;
    }
}
