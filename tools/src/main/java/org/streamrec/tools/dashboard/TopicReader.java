package org.streamrec.tools.dashboard;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;

/**
 * Reads the recommendations and model-updates topics as a downstream consumer does ({@code read_committed}: the
 * job's sink is transactional, so only committed output counts) on its own thread, into {@link LiveStats}; and, unless
 * {@code eventsTopic} is null, the events topic, whose items let {@link LiveStats} judge the answers itself. Partitions
 * are assigned, not subscribed: the dashboard joins no consumer group and commits no offsets, so it never takes
 * records away from a real consumer. The compacted model-updates topic is always read from its start (it is the
 * version history); the recommendations and events topics from their end unless {@code fromBeginning}. Events that
 * do not decode are the dead-letter path's business and are skipped here.
 */
final class TopicReader implements AutoCloseable {

    private final String recommendationsTopic;
    private final String modelUpdatesTopic;
    private final String eventsTopic;
    private final boolean fromBeginning;
    private final LiveStats stats;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final AvroCodec<Recommendation> recommendations = AvroCodec.recommendations();
    private final AvroCodec<ModelAnnouncement> announcements = AvroCodec.modelAnnouncements();
    private final AvroCodec<ClickEvent> events = AvroCodec.clickEvents();
    private volatile boolean running = true;
    private final String bootstrapServers;
    private volatile String status = "connecting";

    TopicReader(String bootstrapServers, String recommendationsTopic, String modelUpdatesTopic, String eventsTopic,
                boolean fromBeginning, LiveStats stats) {
        this.eventsTopic = eventsTopic;
        this.bootstrapServers = bootstrapServers;
        this.recommendationsTopic = recommendationsTopic;
        this.modelUpdatesTopic = modelUpdatesTopic;
        this.fromBeginning = fromBeginning;
        this.stats = stats;
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, "streamrec-dashboard",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false));
        this.thread = new Thread(this::run, "dashboard-topic-reader");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** What the reader is doing: "reading", "waiting for topic ...", or the error that stopped it. */
    String status() {
        return status;
    }

    private void run() {
        try {
            assignWhenTopicsExist();
            status = "reading";
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    long now = System.currentTimeMillis();
                    if (record.topic().equals(recommendationsTopic)) {
                        if (recommendations.decode(record.value()) instanceof DecodeResult.Decoded<Recommendation> r) {
                            stats.onRecommendation(r.value(), now);
                        } else {
                            stats.onUndecodable();
                        }
                    } else if (record.topic().equals(eventsTopic)) {
                        if (events.decode(record.value()) instanceof DecodeResult.Decoded<ClickEvent> e) {
                            stats.onEvent(e.value().getEventId(), e.value().getItemId());
                        }
                    } else if (announcements.decode(record.value()) instanceof DecodeResult.Decoded<ModelAnnouncement> a) {
                        stats.onAnnouncement(a.value(), now);
                    } else {
                        stats.onUndecodable();
                    }
                }
            }
        } catch (WakeupException e) {
            // close() ends the loop.
        } catch (RuntimeException e) {
            status = "stopped: " + e;
        }
    }

    /** The dashboard may start before the broker is reachable or the topics exist: it waits for both. */
    private void assignWhenTopicsExist() {
        while (running) {
            List<TopicPartition> recs;
            List<TopicPartition> models;
            List<TopicPartition> clicks;
            try {
                recs = partitions(recommendationsTopic);
                models = partitions(modelUpdatesTopic);
                clicks = eventsTopic == null ? List.of() : partitions(eventsTopic);
            } catch (TimeoutException e) {
                status = "cannot reach Kafka at " + bootstrapServers + " (" + e.getMessage() + "); retrying";
                continue;
            }
            if (!recs.isEmpty() && !models.isEmpty() && (eventsTopic == null || !clicks.isEmpty())) {
                List<TopicPartition> live = new ArrayList<>(recs);
                live.addAll(clicks);
                List<TopicPartition> all = new ArrayList<>(live);
                all.addAll(models);
                consumer.assign(all);
                consumer.seekToBeginning(models);
                if (fromBeginning) {
                    consumer.seekToBeginning(live);
                } else {
                    consumer.seekToEnd(live);
                }
                return;
            }
            status = "waiting for topics " + recommendationsTopic + ", " + modelUpdatesTopic
                    + (eventsTopic == null ? "" : " and " + eventsTopic);
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private List<TopicPartition> partitions(String topic) {
        List<TopicPartition> result = new ArrayList<>();
        // Short: while the broker is unreachable this call blocks for the whole timeout, and close() waits for it.
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(2));
        if (infos != null) {
            for (PartitionInfo info : infos) {
                result.add(new TopicPartition(topic, info.partition()));
            }
        }
        return result;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
        if (!thread.isAlive()) {
            // No group, no offsets to commit: nothing to wait for.
            consumer.close(Duration.ofSeconds(1));
        }
    }
}
