package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.flink.io.DeadLetterBounds;
import org.streamrec.tools.kafka.KafkaBrokerExtension;

/**
 * The reliability issue's reproduction on a real broker and a MiniCluster: one garbage record of 1,048,400 bytes,
 * which the broker's default limits accept on the events topic, arrives between valid events. Its dead letter carried
 * the whole payload plus the dead letter's own fields, more than the producer's {@code max.request.size}, so the
 * dead-letter sink failed on every attempt and the job restarted in a loop without answering anything after it.
 * The job runs with the fault tests' restart strategy (restarts allowed), so a failure shows as a restart in the
 * exception history rather than as a failed {@code execute}.
 */
class OversizedRecordIT {

    /** Size of the garbage record in the issue: just under what the events topic accepts with Kafka's defaults. */
    private static final int GARBAGE_BYTES = 1_048_400;
    private static final byte[] GARBAGE_KEY = FaultScenario.utf8("garbage");
    /** Kafka's default {@code max.request.size}, which the job's sinks keep. */
    private static final int DEFAULT_MAX_REQUEST_SIZE = 1_048_576;

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(
            new MiniClusterResourceConfiguration.Builder()
                    .setNumberTaskManagers(1)
                    .setNumberSlotsPerTaskManager(2)
                    .build());

    @Test
    void aRecordNearTheBrokerLimitIsDeadLetteredTruncatedAndServingGoesOnWithoutRestart(
            @TempDir Path dir, @InjectMiniCluster MiniCluster cluster) throws Exception {
        // The events topic keeps the broker's default max.message.bytes (1,048,588 bytes), as in the issue.
        FaultScenario sc = new FaultScenario(KAFKA, "oversized", 10, 30);
        byte[] garbage = new byte[GARBAGE_BYTES];
        new Random(20261207L).nextBytes(garbage);
        garbage[0] = 0x7B; // not the single-object marker: a BAD_HEADER, like kcat sending arbitrary bytes

        StreamExecutionEnvironment env = FaultEnvironments.miniCluster(sc.config, dir, new Configuration());
        sc.job().build(env);
        JobClient client = env.executeAsync(sc.name);
        try {
            int half = sc.records.size() / 2;
            sc.produce(0, half);
            KAFKA.produce(List.of(new ProducerRecord<>(sc.eventsTopic, GARBAGE_KEY, garbage)));
            sc.produce(half, sc.records.size());

            List<Recommendation> recs = sc.committedRecommendations(Duration.ofSeconds(90));
            List<ConsumerRecord<byte[], byte[]>> dead = KAFKA.consumeCommitted(sc.dlqTopic, 1, Duration.ofSeconds(30));
            URI rest = cluster.getRestAddress().get();
            String failures = FaultEnvironments.jobFailures(rest, client.getJobID());
            JobStatus status = client.getJobStatus().get(30, TimeUnit.SECONDS);
            System.out.printf("[fault-counts] %s: dead letters %d; job failures %s; status %s%n",
                    sc.name, dead.size(), failures, status);

            OutputCounts answered = sc.count("valid events around a 1,048,400-byte garbage record", recs);
            assertThat(answered.missing()).as("valid events not answered").isZero();
            assertThat(answered.duplicated()).as("valid events answered twice").isZero();
            assertThat(answered.unexpected()).as("unexpected answers").isZero();
            assertThat(failures).as("job failures (restarts) in the exception history").isEqualTo("0");
            assertThat(status).isEqualTo(JobStatus.RUNNING);

            assertThat(dead).as("dead letters").hasSize(1);
            ConsumerRecord<byte[], byte[]> record = dead.get(0);
            assertThat(record.key()).isEqualTo(GARBAGE_KEY);
            assertThat(record.serializedKeySize() + record.serializedValueSize())
                    .as("key and value bytes of the dead letter")
                    .isLessThan(DEFAULT_MAX_REQUEST_SIZE);
            DeadLetter letter = FaultScenario.decoded(AvroCodec.deadLetters().decode(record.value()));
            assertThat(letter.getErrorCode()).isEqualTo("BAD_HEADER");
            assertThat(letter.getSourceTopic()).isEqualTo(sc.eventsTopic);
            assertThat(letter.getPayloadTruncated()).as("payloadTruncated").isTrue();
            assertThat(letter.getOriginalPayloadSize()).as("originalPayloadSize").isEqualTo(GARBAGE_BYTES);
            assertThat(letter.getKeyTruncated()).as("keyTruncated").isFalse();
            assertThat(bytes(letter.getPayload())).as("the payload's first bytes, as many as the default cap")
                    .isEqualTo(Arrays.copyOf(garbage, DeadLetterBounds.DEFAULT_MAX_PAYLOAD_BYTES));
        } finally {
            // A job that exhausted its restarts has already ended; cancelling it would hide the assertion's message.
            if (!client.getJobStatus().get(30, TimeUnit.SECONDS).isGloballyTerminalState()) {
                client.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
