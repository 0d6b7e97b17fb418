package org.streamrec.tools.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives a test class one real Kafka broker ({@link EmbeddedKafka}) for all its tests. Register it as
 * {@code @RegisterExtension static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();}: the broker
 * starts before the first test and is stopped, its data deleted, after the last. Tests share the broker, so each
 * should use its own topic names.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback {

    private final Map<String, String> brokerOverrides;
    private EmbeddedKafka kafka;

    public KafkaBrokerExtension() {
        this(Map.of());
    }

    /** {@code brokerOverrides} replace {@link EmbeddedKafka#defaultBrokerSettings()} entries. */
    public KafkaBrokerExtension(Map<String, String> brokerOverrides) {
        this.brokerOverrides = Map.copyOf(brokerOverrides);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        kafka = EmbeddedKafka.start(brokerOverrides);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }

    public String bootstrapServers() {
        return broker().bootstrapServers();
    }

    public void createTopic(String name, int partitions) {
        broker().createTopic(name, partitions, Map.of());
    }

    public void createTopic(String name, int partitions, Map<String, String> topicConfigs) {
        broker().createTopic(name, partitions, topicConfigs);
    }

    /**
     * Writes {@code records} in order with an idempotent producer and waits until the broker acknowledged all of
     * them. Records with the same key land in the same partition in the given order.
     */
    public void produce(List<ProducerRecord<byte[], byte[]>> records) {
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config)) {
            List<Future<?>> acks = new ArrayList<>(records.size());
            for (ProducerRecord<byte[], byte[]> record : records) {
                acks.add(producer.send(record));
            }
            producer.flush();
            for (Future<?> ack : acks) {
                ack.get(30, TimeUnit.SECONDS);
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Producing " + records.size() + " records failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while producing", e);
        }
    }

    /**
     * Reads {@code topic} from the beginning of every partition, seeing only committed transactional records
     * ({@code isolation.level=read_committed}), until at least {@code expectedCount} records arrived and every
     * partition is read up to its current end, or until {@code timeout} passed. Reading to the end exposes
     * duplicates beyond the expected count. Returns what it read either way, so that a shortfall shows as a readable
     * assertion failure in the caller. Records of one partition keep their offset order. Uses no consumer group:
     * partitions are assigned, nothing is committed.
     */
    public List<ConsumerRecord<byte[], byte[]>> consumeCommitted(String topic, int expectedCount, Duration timeout) {
        return consumeCommitted(bootstrapServers(), topic, expectedCount, timeout);
    }

    /** {@link #consumeCommitted(String, int, Duration)} against any broker. */
    static List<ConsumerRecord<byte[], byte[]>> consumeCommitted(
            String bootstrapServers, String topic, int expectedCount, Duration timeout) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                if (records.size() >= expectedCount && readToEnd(consumer, partitions)) {
                    break;
                }
            }
        }
        return records;
    }

    /** Under read_committed, end offsets are the last stable offsets: nothing committed lies beyond them. */
    private static boolean readToEnd(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions) {
        Map<TopicPartition, Long> endOffsets = consumer.endOffsets(partitions, Duration.ofSeconds(10));
        return partitions.stream().allMatch(p -> consumer.position(p) >= endOffsets.get(p));
    }

    /** The running broker itself, e.g. to stop and restart it in a fault test. */
    public EmbeddedKafka broker() {
        if (kafka == null) {
            throw new IllegalStateException(
                    "The broker is not running: register KafkaBrokerExtension with @RegisterExtension on a static field");
        }
        return kafka;
    }
}
