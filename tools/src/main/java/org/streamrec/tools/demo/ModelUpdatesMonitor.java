package org.streamrec.tools.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.tools.kafka.TopicFollower;

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

    private final TopicFollower follower;
    private final AvroCodec<ModelAnnouncement> codec = AvroCodec.modelAnnouncements();
    private final List<Seen> seen = new ArrayList<>();

    public ModelUpdatesMonitor(String bootstrapServers, String topic) {
        this.follower = new TopicFollower(bootstrapServers, "streamrec-model-updates-monitor", List.of(topic),
                Duration.ofMillis(200), this::onRecords);
    }

    public ModelUpdatesMonitor start() {
        follower.start();
        return this;
    }

    private synchronized void onRecords(ConsumerRecords<byte[], byte[]> records, long readMillis) {
        for (ConsumerRecord<byte[], byte[]> r : records) {
            if (codec.decode(r.value()) instanceof DecodeResult.Decoded<ModelAnnouncement> d) {
                seen.add(new Seen(d.value(), readMillis));
            }
        }
    }

    /** Every announcement read so far, in topic order. */
    public synchronized List<Seen> seen() {
        return List.copyOf(seen);
    }

    @Override
    public void close() throws InterruptedException {
        follower.close();
    }
}
