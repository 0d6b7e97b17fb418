package org.streamrec.flink.replay;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.SessionDataset;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Feeds a dataset into the {@code events} topic as live traffic: sessions interleaved in time order, each session's
 * order kept ({@link ReplayPlan}), at a fixed rate or as fast as the broker takes it. Key = user id, value = the
 * single-object Avro {@link ClickEvent}; an idempotent producer with {@code acks=all}, so a retry never duplicates
 * or reorders a user's events.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Replay a session dataset into the events topic.")
public final class ReplayTool implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ReplayTool.class);

    @Option(names = "--dataset", required = true, description = "Dataset file (any format DatasetReaders detects).")
    Path dataset;

    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092", description = "Default: ${DEFAULT-VALUE}.")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "events", description = "Default: ${DEFAULT-VALUE}.")
    String topic;

    @Option(names = "--rate", defaultValue = "0",
            description = "Events per second; 0 sends as fast as possible (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--limit", defaultValue = "0", description = "Stop after this many events; 0 = all (default: ${DEFAULT-VALUE}).")
    long limit;

    @Option(names = "--shift-to-now", defaultValue = "false",
            description = "Move event times so the first event is now (keeps relative times); default: ${DEFAULT-VALUE}.")
    boolean shiftToNow;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ReplayTool()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        SessionDataset data = DatasetReaders.read(dataset);
        LOG.info("Read {} sessions, {} events from {} ({} malformed lines)", data.sessionCount(), data.eventCount(),
                dataset, data.report().malformedCount());
        long offset = shiftToNow ? System.currentTimeMillis() - ReplayPlan.firstEventTime(data).orElse(0) : 0;
        Map<String, Object> producerConfig = new HashMap<>();
        producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer())) {
            long sent = replay(new ReplayPlan(data, offset), producer, topic, rate, limit);
            LOG.info("Sent {} events to {}", sent, topic);
        }
        return 0;
    }

    /** Sends the plan's events, pacing to {@code rate} events/s when positive; returns how many were sent. */
    public static long replay(ReplayPlan plan, KafkaProducer<byte[], byte[]> producer, String topic, double rate,
                              long limit) {
        AvroCodec<ClickEvent> codec = AvroCodec.clickEvents();
        long start = System.nanoTime();
        long sent = 0;
        while (plan.hasNext() && (limit <= 0 || sent < limit)) {
            ClickEvent event = plan.next();
            if (rate > 0) {
                // Pace against the start, not the previous send, so short stalls do not lower the average rate.
                long due = start + (long) (sent * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
            }
            producer.send(new ProducerRecord<>(topic, event.getUserId().getBytes(StandardCharsets.UTF_8),
                    codec.encode(event)));
            sent++;
            if (sent % 100_000 == 0) {
                LOG.info("{} events sent, {} events/s", sent,
                        Math.round(sent / ((System.nanoTime() - start) / (double) TimeUnit.SECONDS.toNanos(1))));
            }
        }
        producer.flush();
        return sent;
    }
}
