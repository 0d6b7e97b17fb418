package org.streamrec.flink.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.flink.model.AnnouncementSink;

/**
 * Announcements on the compacted model-updates topic: key = the model name (UTF-8), so compaction keeps the newest
 * announcement of each model; value = the single-object Avro encoding of {@link AvroCodec#modelAnnouncements}. Each
 * send is synchronous on an idempotent producer with {@code acks=all}: a version counts as announced only once the
 * broker has it. Used by the trainer job and by the {@code announce-model} tool.
 */
public final class KafkaAnnouncementSink implements AnnouncementSink {

    private static final long serialVersionUID = 1L;
    /** How long a restored trainer may take to read the tail of the topic. */
    private static final Duration READ_BACK_TIMEOUT = Duration.ofSeconds(60);

    private final String bootstrapServers;
    private final String topic;
    private final String modelName;
    private final Duration sendTimeout;

    /** @param sendTimeout how long one send may wait for the broker's acknowledgement */
    public KafkaAnnouncementSink(String bootstrapServers, String topic, String modelName, Duration sendTimeout) {
        this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.modelName = Objects.requireNonNull(modelName, "modelName");
        this.sendTimeout = Objects.requireNonNull(sendTimeout, "sendTimeout");
    }

    /** The record of {@code announcement} for {@code modelName} on {@code topic}. */
    public static ProducerRecord<byte[], byte[]> record(String topic, String modelName, ModelAnnouncement announcement,
                                                        AvroCodec<ModelAnnouncement> codec) {
        return new ProducerRecord<>(topic, modelName.getBytes(StandardCharsets.UTF_8), codec.encode(announcement));
    }

    @Override
    public Writer open() {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(),
                new ByteArraySerializer());
        AvroCodec<ModelAnnouncement> codec = AvroCodec.modelAnnouncements();
        return new Writer() {
            @Override
            public void send(ModelAnnouncement announcement) throws Exception {
                producer.send(record(topic, modelName, announcement, codec))
                        .get(sendTimeout.toMillis(), TimeUnit.MILLISECONDS);
            }

            @Override
            public long highestAnnounced() {
                return AnnouncedVersions.highest(bootstrapServers, topic, modelName, READ_BACK_TIMEOUT);
            }

            @Override
            public void close() {
                producer.close(Duration.ofSeconds(5));
            }
        };
    }
}
