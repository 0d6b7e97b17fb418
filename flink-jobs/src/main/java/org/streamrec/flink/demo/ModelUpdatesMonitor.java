package org.streamrec.flink.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;

/** Reads the model-updates topic from its start on its own thread and keeps every announcement, with when it arrived. */
public final class ModelUpdatesMonitor implements AutoCloseable {

    /** One announcement and the wall-clock time (epoch ms) this monitor read it. */
    public record Seen(ModelAnnouncement announcement, long receivedMillis) {
        public long version() {
            return announcement.getVersion();
        }

        public double metric(String name) {
            return announcement.getMetrics().getOrDefault(name, Double.NaN);
        }
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final Thread thread;
    private final AvroCodec<ModelAnnouncement> codec = AvroCodec.modelAnnouncements();
    private final List<Seen> seen = new ArrayList<>();
    private volatile boolean running = true;

    public ModelUpdatesMonitor(String bootstrapServers, String topic) {
        this.topic = topic;
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.CLIENT_ID_CONFIG, "streamrec-model-updates-monitor",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"));
        this.thread = new Thread(this::pollLoop, "model-updates-monitor");
        this.thread.setDaemon(true);
    }

    public ModelUpdatesMonitor start() {
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(topic, info.partition()));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        thread.start();
        return this;
    }

    private void pollLoop() {
        try {
            while (running) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (codec.decode(r.value()) instanceof DecodeResult.Decoded<ModelAnnouncement> d) {
                        synchronized (this) {
                            seen.add(new Seen(d.value(), System.currentTimeMillis()));
                        }
                    }
                }
            }
        } catch (WakeupException e) {
            // close() asked the loop to end.
        }
    }

    /** Every announcement read so far, in topic order. */
    public synchronized List<Seen> seen() {
        return List.copyOf(seen);
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
