package org.streamrec.flink.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;

/**
 * The downstream consumer of the load test: reads the recommendations topic with {@code read_committed} (so
 * exactly-once output counts only once its transaction commits), on its own thread, and times every answer from
 * its event's creation (the event time, which the harness sets to the send time and the job copies into the
 * recommendation) to the moment the poll returned it. Answers are attributed to the current step by event-id
 * prefix; each event id is counted once, repeats are counted as duplicates.
 */
final class AnswerCollector implements AutoCloseable {

    /** What the collector has seen of one step. */
    record Tally(long answered, long duplicates, long foreign, long undecodable, long fallback,
                 long[] visibleLatencies, long[] emitLatencies, long firstAnswerMillis, long lastAnswerMillis) {
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final Thread thread;
    private final AvroCodec<Recommendation> codec = AvroCodec.recommendations();
    private volatile boolean running = true;
    private volatile Exception failure;

    private String prefix;
    private long measureFromMillis;
    private Set<String> answered = new HashSet<>();
    private long duplicates;
    private long foreign;
    private long undecodable;
    private long fallback;
    private long[] visible = new long[1 << 16];
    private long[] emit = new long[1 << 16];
    private int timed;
    private long firstAnswerMillis;
    private long lastAnswerMillis;

    AnswerCollector(String bootstrapServers, String topic) {
        this.topic = topic;
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, "streamrec-loadtest-answers",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"));
        this.thread = new Thread(this::pollLoop, "loadtest-answers");
        this.thread.setDaemon(true);
    }

    void start() {
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(topic, info.partition()));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread.start();
    }

    /**
     * Starts counting a new step: answers to event ids starting with {@code eventIdPrefix}; latencies only of events
     * created at or after {@code measureFromMillis} (the warm-up before it is not timed).
     */
    synchronized void begin(String eventIdPrefix, long measureFromMillis) {
        this.prefix = eventIdPrefix;
        this.measureFromMillis = measureFromMillis;
        this.answered = new HashSet<>();
        duplicates = 0;
        foreign = 0;
        undecodable = 0;
        fallback = 0;
        timed = 0;
        firstAnswerMillis = 0;
        lastAnswerMillis = 0;
    }

    synchronized long answeredCount() {
        return answered.size();
    }

    synchronized Tally tally() {
        return new Tally(answered.size(), duplicates, foreign, undecodable, fallback, Arrays.copyOf(visible, timed),
                Arrays.copyOf(emit, timed), firstAnswerMillis, lastAnswerMillis);
    }

    Exception failure() {
        return failure;
    }

    private void pollLoop() {
        try {
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                long now = System.currentTimeMillis();
                if (!records.isEmpty()) {
                    synchronized (this) {
                        for (ConsumerRecord<byte[], byte[]> record : records) {
                            onRecord(record.value(), now);
                        }
                    }
                }
            }
        } catch (WakeupException e) {
            // close() ended the loop.
        } catch (Exception e) {
            failure = e;
        }
    }

    private void onRecord(byte[] value, long now) {
        if (!(codec.decode(value) instanceof DecodeResult.Decoded<Recommendation> decoded)) {
            undecodable++;
            return;
        }
        Recommendation r = decoded.value();
        String id = r.getTriggeringEventId();
        if (prefix == null || !id.startsWith(prefix)) {
            foreign++;
            return;
        }
        if (!answered.add(id)) {
            duplicates++;
            return;
        }
        if (r.getStrategy() == org.streamrec.avro.RecommendationStrategy.FALLBACK) {
            fallback++;
        }
        if (firstAnswerMillis == 0) {
            firstAnswerMillis = now;
        }
        lastAnswerMillis = now;
        long created = r.getEventTime().toEpochMilli();
        if (created >= measureFromMillis) {
            if (timed == visible.length) {
                visible = Arrays.copyOf(visible, 2 * timed);
                emit = Arrays.copyOf(emit, 2 * timed);
            }
            visible[timed] = now - created;
            emit[timed] = r.getEmitTime().toEpochMilli() - created;
            timed++;
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
        if (!thread.isAlive()) {
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
