package org.streamrec.tools.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.RecommendedItem;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.tools.kafka.TopicFollower;

/**
 * Reads what the serving job publishes, as any downstream consumer would: the recommendations and dead-letter
 * topics from their start with {@code read_committed} (the job's sinks are transactional), on its own thread.
 * Keeps counts, the online accuracy, and the latest recommendation of every user for the demo's samples.
 */
public final class OutputMonitor implements AutoCloseable {

    /** What the monitor has seen so far. */
    public record Tally(long recommendations, long distinctAnswered, long duplicates, long unknownTriggers,
                        long undecodable, long deadLetters, Map<String, Long> deadLettersByCode, long fallback,
                        long predictions, double hitRate, double mrr, int k, Latency sendToEmit, Latency sendToVisible) {
    }

    /** Percentiles in ms over the answers whose event's send time is known; all 0 when there are none. */
    public record Latency(int count, long p50, long p99, long max) {
        static Latency of(long[] millis, int count) {
            if (count == 0) {
                return new Latency(0, 0, 0, 0);
            }
            long[] sorted = Arrays.copyOf(millis, count);
            Arrays.sort(sorted);
            return new Latency(count, sorted[(count - 1) / 2], sorted[(int) Math.ceil(0.99 * count) - 1], sorted[count - 1]);
        }

        @Override
        public String toString() {
            return count == 0 ? "n/a" : String.format("p50 %,d ms, p99 %,d ms, max %,d ms", p50, p99, max);
        }
    }

    /** Wall-clock send time of each replayed event, by event id, as the replay records it. */
    private final Map<String, Long> sentAtMillis = new ConcurrentHashMap<>();
    private long[] sendToEmit = new long[1024];
    private long[] sendToVisible = new long[1024];
    private int timed;

    private final String recommendationsTopic;
    private final String dlqTopic;
    private final ReplayPlan plan;
    private final TopicFollower follower;
    private final AvroCodec<Recommendation> recommendationCodec = AvroCodec.recommendations();
    private final AvroCodec<DeadLetter> deadLetterCodec = AvroCodec.deadLetters();

    private final OnlineAccuracy accuracy;
    private final Set<String> watchedUsers;
    private final Map<String, Recommendation> byEventOfWatchedUsers = new HashMap<>();
    private final Map<String, Long> deadLettersByCode = new TreeMap<>();
    private final TreeMap<Long, Long> firstEmitMillisByModelVersion = new TreeMap<>();
    private long recommendations;
    private long undecodable;
    private long deadLetters;
    private long fallback;

    /** @param watchedUsers users whose every recommendation is kept, for the demo's samples */
    public OutputMonitor(String bootstrapServers, String recommendationsTopic, String dlqTopic, ReplayPlan plan, int k,
                         Set<String> watchedUsers) {
        this.watchedUsers = Set.copyOf(watchedUsers);
        this.recommendationsTopic = recommendationsTopic;
        this.dlqTopic = dlqTopic;
        this.plan = plan;
        this.accuracy = new OnlineAccuracy(plan.nextItemByEventId(), k);
        this.follower = new TopicFollower(bootstrapServers, "streamrec-demo-monitor", List.of(recommendationsTopic, dlqTopic),
                Duration.ofMillis(200), (records, readMillis) -> onRecords(records));
    }

    public void start() {
        follower.start();
    }

    private synchronized void onRecords(ConsumerRecords<byte[], byte[]> records) {
        for (ConsumerRecord<byte[], byte[]> record : records) {
            if (record.topic().equals(recommendationsTopic)) {
                onRecommendation(record.value());
            } else {
                onDeadLetter(record.value());
            }
        }
    }

    private void onRecommendation(byte[] value) {
        if (!(recommendationCodec.decode(value) instanceof DecodeResult.Decoded<Recommendation> decoded)) {
            undecodable++;
            return;
        }
        Recommendation r = decoded.value();
        recommendations++;
        firstEmitMillisByModelVersion.merge(r.getModelVersion(), r.getEmitTime().toEpochMilli(), Math::min);
        if (r.getStrategy() == org.streamrec.avro.RecommendationStrategy.FALLBACK) {
            fallback++;
        }
        List<String> items = new ArrayList<>(r.getItems().size());
        for (RecommendedItem item : r.getItems()) {
            items.add(item.getItemId());
        }
        boolean firstAnswer = accuracy.answered() < accuracy.record(r.getTriggeringEventId(), items,
                plan.eventIds().contains(r.getTriggeringEventId()));
        Long sentAt = sentAtMillis.get(r.getTriggeringEventId());
        if (firstAnswer && sentAt != null) {
            if (timed == sendToEmit.length) {
                sendToEmit = Arrays.copyOf(sendToEmit, 2 * timed);
                sendToVisible = Arrays.copyOf(sendToVisible, 2 * timed);
            }
            sendToEmit[timed] = r.getEmitTime().toEpochMilli() - sentAt;
            sendToVisible[timed] = System.currentTimeMillis() - sentAt;
            timed++;
        }
        if (watchedUsers.contains(r.getUserId())) {
            byEventOfWatchedUsers.put(r.getTriggeringEventId(), r);
        }
    }

    private void onDeadLetter(byte[] value) {
        if (!(deadLetterCodec.decode(value) instanceof DecodeResult.Decoded<DeadLetter> decoded)) {
            undecodable++;
            return;
        }
        deadLetters++;
        deadLettersByCode.merge(decoded.value().getErrorCode(), 1L, Long::sum);
    }

    public synchronized Tally tally() {
        return new Tally(recommendations, accuracy.answered(), accuracy.duplicates(), accuracy.unknownTriggers(),
                undecodable, deadLetters, new TreeMap<>(deadLettersByCode), fallback, accuracy.predictions(),
                accuracy.hitRate(), accuracy.mrr(), accuracy.k(), Latency.of(sendToEmit, timed), Latency.of(sendToVisible, timed));
    }

    /**
     * Every model version seen on the output, with the emit time (epoch ms) of its first recommendation: a version
     * above the first one is a hot swap the serving job made, as its users see it.
     */
    public synchronized TreeMap<Long, Long> firstEmitMillisByModelVersion() {
        return new TreeMap<>(firstEmitMillisByModelVersion);
    }

    /** Records when an event was sent, so its answer can be timed; called from the replay thread. */
    public void sent(String eventId, long epochMillis) {
        sentAtMillis.put(eventId, epochMillis);
    }

    /** The recommendation published in answer to {@code eventId} of a watched user, or null. */
    public synchronized Recommendation answerTo(String eventId) {
        return byEventOfWatchedUsers.get(eventId);
    }

    /** Set when the poll loop died; the demo reports it rather than waiting for output that cannot come. */
    public Exception failure() {
        return follower.failure();
    }

    @Override
    public void close() throws InterruptedException {
        follower.close();
    }
}
