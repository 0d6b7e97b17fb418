package org.streamrec.flink.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;

/**
 * The highest version already announced under one key, read from the tail of the announcements topic. A restored
 * trainer asks before re-sending the announcements of the checkpoint it restored from: when that checkpoint's
 * completion notification came before the failure, they are on the topic already, and sending them again would
 * publish a version twice.
 */
final class AnnouncedVersions {

    /** Records read back per partition: on the compacted topic the newest record of a key is among the last ones. */
    static final int TAIL_RECORDS = 1_000;

    private AnnouncedVersions() {
    }

    /** The highest version announced under {@code key} in the last records of {@code topic}, or 0 if none. */
    static long highest(String bootstrapServers, String topic, String key, Duration timeout) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        AvroCodec<ModelAnnouncement> codec = AvroCodec.modelAnnouncements();
        long highest = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic, timeout)) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, timeout);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            List<TopicPartition> unread = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                if (end.get(tp) > begin.get(tp)) {
                    consumer.seek(tp, Math.max(begin.get(tp), end.get(tp) - TAIL_RECORDS));
                    unread.add(tp);
                }
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!unread.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end within " + timeout);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (Arrays.equals(r.key(), keyBytes)
                            && codec.decode(r.value()) instanceof DecodeResult.Decoded<ModelAnnouncement> d) {
                        highest = Math.max(highest, d.value().getVersion());
                    }
                }
                unread.removeIf(tp -> consumer.position(tp) >= end.get(tp));
            }
        }
        return highest;
    }
}
