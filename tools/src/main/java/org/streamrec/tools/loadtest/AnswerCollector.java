package org.streamrec.tools.loadtest;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.tools.kafka.TopicFollower;
import org.streamrec.tools.replay.FingerprintSet;

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
                 long[] visibleLatencies, long[] emitLatencies, long[] createdMillis, long firstAnswerMillis,
                 long lastAnswerMillis) {
    }

    private final TopicFollower follower;
    private final AvroCodec<Recommendation> codec = AvroCodec.recommendations();

    private String prefix;
    private long measureFromMillis;
    private FingerprintSet answered = new FingerprintSet();
    private long duplicates;
    private long foreign;
    private long undecodable;
    private long fallback;
    private long[] visible = new long[1 << 16];
    private long[] emit = new long[1 << 16];
    private long[] created = new long[1 << 16];
    private int timed;
    private long firstAnswerMillis;
    private long lastAnswerMillis;

    AnswerCollector(String bootstrapServers, String topic) {
        this.follower = new TopicFollower(bootstrapServers, "streamrec-loadtest-answers", List.of(topic),
                Duration.ofMillis(100), this::onRecords);
    }

    void start() {
        follower.start();
    }

    /**
     * Makes room for a step of {@code expectedAnswers} answers, so that nothing grows while it runs (from 512 KB on,
     * each larger array would be a G1 humongous object, allocated in the middle of the step). The step's
     * {@link #begin} follows.
     */
    synchronized void reserve(int expectedAnswers) {
        answered.clear(expectedAnswers);
        if (visible.length < expectedAnswers) {
            visible = Arrays.copyOf(visible, expectedAnswers);
            emit = Arrays.copyOf(emit, expectedAnswers);
            created = Arrays.copyOf(created, expectedAnswers);
        }
    }

    /**
     * Starts counting a new step: answers to event ids starting with {@code eventIdPrefix}; latencies only of events
     * created at or after {@code measureFromMillis} (the warm-up before it is not timed).
     */
    synchronized void begin(String eventIdPrefix, long measureFromMillis) {
        this.prefix = eventIdPrefix;
        this.measureFromMillis = measureFromMillis;
        answered.clear(0);
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
                Arrays.copyOf(emit, timed), Arrays.copyOf(created, timed), firstAnswerMillis, lastAnswerMillis);
    }

    Exception failure() {
        return follower.failure();
    }

    private synchronized void onRecords(ConsumerRecords<byte[], byte[]> records, long readMillis) {
        for (ConsumerRecord<byte[], byte[]> record : records) {
            onRecord(record.value(), readMillis);
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
        long createdAt = r.getEventTime().toEpochMilli();
        if (createdAt >= measureFromMillis) {
            if (timed == visible.length) {
                visible = Arrays.copyOf(visible, 2 * timed);
                emit = Arrays.copyOf(emit, 2 * timed);
                created = Arrays.copyOf(created, 2 * timed);
            }
            visible[timed] = now - createdAt;
            emit[timed] = r.getEmitTime().toEpochMilli() - createdAt;
            created[timed] = createdAt;
            timed++;
        }
    }

    @Override
    public void close() throws InterruptedException {
        follower.close();
    }
}
