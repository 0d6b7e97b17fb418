package org.streamrec.tools.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads topics from their start on its own thread, as a downstream consumer of the jobs' output would:
 * {@code read_committed} (the jobs' sinks are transactional, so only committed output counts), all partitions
 * assigned, no consumer group and no committed offsets (it takes nothing from real consumers' groups). Each poll's
 * records go to the handler together with the wall-clock time the poll returned them. The demo's monitors and the
 * load test's answer collector use it.
 */
public final class TopicFollower implements AutoCloseable {

    /** Receives each non-empty poll on the follower's thread, with the time (epoch ms) the poll returned. */
    @FunctionalInterface
    public interface Handler {
        void onRecords(ConsumerRecords<byte[], byte[]> records, long readMillis) throws Exception;
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<String> topics;
    private final Duration pollTimeout;
    private final Handler handler;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Exception failure;

    public TopicFollower(String bootstrapServers, String clientId, List<String> topics, Duration pollTimeout, Handler handler) {
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, clientId,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"));
        this.topics = List.copyOf(topics);
        this.pollTimeout = pollTimeout;
        this.handler = handler;
        this.thread = new Thread(this::pollLoop, clientId);
        this.thread.setDaemon(true);
    }

    /** Assigns every partition of the topics (waiting up to 30 s for their metadata), from the start, and starts reading. */
    public void start() {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread.start();
    }

    private void pollLoop() {
        try {
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(pollTimeout);
                if (!records.isEmpty()) {
                    handler.onRecords(records, System.currentTimeMillis());
                }
            }
        } catch (WakeupException e) {
            // close() ended the loop.
        } catch (Exception e) {
            failure = e;
        }
    }

    /** What ended the reading thread early (a handler or consumer failure), or null while it runs or ended by close(). */
    public Exception failure() {
        return failure;
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
