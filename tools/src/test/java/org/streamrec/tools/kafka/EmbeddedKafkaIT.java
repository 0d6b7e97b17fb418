package org.streamrec.tools.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/** The broker the tests and the embedded demo rely on: topics with configs, transactions, clean shutdown. */
class EmbeddedKafkaIT {

    @Test
    void servesCompactedTopicsAndTransactionsAndDeletesItsDataOnClose() throws Exception {
        Path dataDir;
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            dataDir = kafka.dataDir();
            assertThat(dataDir).isDirectory();

            kafka.createTopic("model-updates", 1, Map.of("cleanup.policy", "compact"));
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "model-updates");
                Config config = admin.describeConfigs(List.of(topic)).all().get().get(topic);
                assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
            }

            kafka.createTopic("tx", 2);
            try (KafkaProducer<byte[], byte[]> producer = transactionalProducer(kafka.bootstrapServers())) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(record("tx", "aborted"));
                producer.flush();
                producer.abortTransaction();
                producer.beginTransaction();
                producer.send(record("tx", "committed-1"));
                producer.send(record("tx", "committed-2"));
                producer.commitTransaction();
            }
            List<ConsumerRecord<byte[], byte[]>> visible = committedRecords(kafka, "tx");
            assertThat(visible).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly("committed-1", "committed-2");
        }
        assertThat(Files.exists(dataDir)).as("data directory deleted on close").isFalse();
    }

    @Test
    void aRestartedBrokerKeepsItsPortTopicsAndCommittedRecords() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            String address = kafka.bootstrapServers();
            kafka.createTopic("kept", 2);
            try (KafkaProducer<byte[], byte[]> producer = transactionalProducer(address)) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(record("kept", "before-1"));
                producer.send(record("kept", "before-2"));
                producer.commitTransaction();
            }
            kafka.stopBroker();
            kafka.startBroker();
            assertThat(kafka.bootstrapServers()).isEqualTo(address);
            // The same transactional id again: the transaction state survived the restart as well.
            try (KafkaProducer<byte[], byte[]> producer = transactionalProducer(address)) {
                producer.initTransactions();
                producer.beginTransaction();
                producer.send(record("kept", "after"));
                producer.commitTransaction();
            }
            assertThat(KafkaBrokerExtension.consumeCommitted(address, "kept", 3, Duration.ofSeconds(30)))
                    .extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .containsExactly("before-1", "before-2", "after");
        }
    }

    private static KafkaProducer<byte[], byte[]> transactionalProducer(String bootstrapServers) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, "embedded-kafka-it",
                // The broker allows up to an hour; Flink's exactly-once sink relies on timeouts of many minutes.
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) Duration.ofMinutes(20).toMillis()));
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String value) {
        // One key: all records in one partition, so their order is the send order.
        return new ProducerRecord<>(topic, "k".getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    /** The same read_committed reader the tests use, on a broker started outside the extension. */
    private static List<ConsumerRecord<byte[], byte[]>> committedRecords(EmbeddedKafka kafka, String topic) {
        return KafkaBrokerExtension.consumeCommitted(kafka.bootstrapServers(), topic, 2, Duration.ofSeconds(30));
    }
}
