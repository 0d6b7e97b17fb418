package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.EventType;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.avro.codec.DecodeResult;
import org.streamrec.tools.kafka.KafkaBrokerExtension;

/**
 * One fault-injection run of the serving job: its own topics on the shared broker, a configuration, a stream of valid
 * events (users interleaved in event time, some items unknown to the model), ways to send them as a live stream would
 * arrive, and the count of the committed output by triggering event id ({@link OutputCounts}).
 */
final class FaultScenario {

    /** Records per produce call and the pause between calls: about 400 events/s, a stream that lasts seconds. */
    private static final int CHUNK = 40;
    private static final long CHUNK_PAUSE_MS = 100;

    final KafkaBrokerExtension kafka;
    final String name;
    final String eventsTopic;
    final String recsTopic;
    final String dlqTopic;
    final String modelsTopic;
    final RecommenderConfig config;
    final List<ClickEvent> events;
    final List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();

    /**
     * @param extraFlags flags after the defaults here (later flags win in picocli for single-valued options)
     */
    FaultScenario(KafkaBrokerExtension kafka, String name, int users, int eventsPerUser, String... extraFlags) {
        this.kafka = kafka;
        this.name = name;
        eventsTopic = name + "-events";
        recsTopic = name + "-recs";
        dlqTopic = name + "-dlq";
        modelsTopic = name + "-models";
        config = RecommenderConfig.parse(flags(extraFlags));
        kafka.createTopic(eventsTopic, 3);
        kafka.createTopic(recsTopic, 2);
        kafka.createTopic(dlqTopic, 1);
        kafka.createTopic(modelsTopic, 1, Map.of("cleanup.policy", "compact"));
        events = validEvents(new Random(name.hashCode()), users, eventsPerUser);
        AvroCodec<ClickEvent> codec = AvroCodec.clickEvents();
        for (ClickEvent e : events) {
            records.add(new ProducerRecord<>(eventsTopic, utf8(e.getUserId()), codec.encode(e)));
        }
    }

    /**
     * The command line of this scenario: the defaults below, each replaced by the same option in {@code extraFlags}
     * (picocli refuses an option given twice), e.g. to start a changed job. A flag followed by another flag or by
     * nothing is a switch ({@code --exclude-seen}).
     */
    String[] flags(String... extraFlags) {
        Map<String, String> options = new LinkedHashMap<>();
        String[] defaults = {
                "--bootstrap-servers", kafka.bootstrapServers(),
                "--events-topic", eventsTopic, "--recommendations-topic", recsTopic,
                "--dlq-topic", dlqTopic, "--model-updates-topic", modelsTopic,
                "--model-uri", "mem://v1", "--k", "3", "--batch-max-size", "8",
                "--checkpoint-interval", "300 ms", "--parallelism", "2",
                "--transactional-id-prefix", name + "-serving", "--transaction-timeout", "5 min"};
        putOptions(options, defaults);
        putOptions(options, extraFlags);
        List<String> args = new ArrayList<>();
        options.forEach((option, value) -> {
            args.add(option);
            if (value != null) {
                args.add(value);
            }
        });
        return args.toArray(String[]::new);
    }

    private static void putOptions(Map<String, String> options, String[] args) {
        for (int i = 0; i < args.length; i++) {
            boolean hasValue = i + 1 < args.length && !args[i + 1].startsWith("--");
            options.put(args[i], hasValue ? args[++i] : null);
        }
    }

    /** The serving job on unbounded Kafka sources that read the events topic from its start. */
    static RecommenderJob job(RecommenderConfig config) {
        return new RecommenderJob(config,
                RecommenderJob.eventsSource(config).setStartingOffsets(OffsetsInitializer.earliest()).build(),
                RecommenderJob.announcementsSource(config).build(),
                RecommenderJob.recommendationsSink(config),
                RecommenderJob.deadLetterSink(config),
                new TestModels());
    }

    RecommenderJob job() {
        return job(config);
    }

    /** Sends records {@code [from, to)} in chunks, with pauses, as a live stream would arrive. */
    void produce(int from, int to) {
        for (int i = from; i < to; i += CHUNK) {
            kafka.produce(records.subList(i, Math.min(to, i + CHUNK)));
            try {
                Thread.sleep(CHUNK_PAUSE_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** {@link #produce} on another thread, so a fault can be injected while events arrive. */
    CompletableFuture<Void> produceInBackground(int from, int to) {
        return CompletableFuture.runAsync(() -> produce(from, to));
    }

    /** Waits until at least {@code n} recommendations are committed, i.e. a checkpoint has completed. */
    void awaitCommittedOutput(int n, Duration timeout) {
        assertThat(kafka.consumeCommitted(recsTopic, n, timeout))
                .as("committed output of %s within %s (a checkpoint completed)", name, timeout).hasSizeGreaterThanOrEqualTo(n);
    }

    /** Every committed recommendation, read with read_committed, until all events are answered or the timeout. */
    List<Recommendation> committedRecommendations(Duration timeout) {
        AvroCodec<Recommendation> codec = AvroCodec.recommendations();
        return kafka.consumeCommitted(recsTopic, events.size(), timeout).stream()
                .map(r -> decoded(codec.decode(r.value()))).toList();
    }

    /** Counts the committed output by triggering event id, prints the counts and returns them. */
    OutputCounts count(String label, List<Recommendation> recs) {
        return OutputCounts.of(name + " " + label, events.stream().map(ClickEvent::getEventId).toList(),
                recs.stream().map(Recommendation::getTriggeringEventId).toList()).print();
    }

    /** Per user, the event ids of the input, in input order. */
    Map<String, List<String>> inputOrderByUser() {
        return events.stream().collect(Collectors.groupingBy(ClickEvent::getUserId,
                Collectors.mapping(ClickEvent::getEventId, Collectors.toList())));
    }

    static Map<String, List<String>> outputOrderByUser(List<Recommendation> recs) {
        return recs.stream().collect(Collectors.groupingBy(Recommendation::getUserId,
                Collectors.mapping(Recommendation::getTriggeringEventId, Collectors.toList())));
    }

    /** Publishes a model version on this scenario's announcement topic. */
    void announce(long version, String uri) {
        kafka.produce(List.of(new ProducerRecord<>(modelsTopic, utf8("model"),
                AvroCodec.modelAnnouncements().encode(ModelAnnouncement.newBuilder()
                        .setVersion(version).setParentVersion(version - 1).setSnapshotUri(uri).setChecksum("test")
                        .setItemCount(TestModels.ITEMS).setTrainingEventsSeen(0).setCreatedTime(Instant.EPOCH)
                        .build()))));
    }

    /** Users' events interleaved in time; every user starts on a known item, later about 1 in 10 items is unknown. */
    static List<ClickEvent> validEvents(Random random, int users, int eventsPerUser) {
        Instant start = Instant.parse("2026-11-23T08:00:00Z");
        List<ClickEvent> out = new ArrayList<>();
        for (int i = 0; i < eventsPerUser; i++) {
            for (int u = 0; u < users; u++) {
                String item = i == 0 ? "i" + (u % TestModels.ITEMS)
                        : random.nextInt(10) == 0 ? "unknown-" + i : "i" + random.nextInt(TestModels.ITEMS);
                out.add(ClickEvent.newBuilder()
                        .setEventId("u" + u + "-e" + i)
                        .setUserId("user-" + u)
                        .setItemId(item)
                        .setEventType(EventType.VIEW)
                        .setEventTime(start.plusSeconds(i * 20L + u))
                        .build());
            }
        }
        return out;
    }

    static <T> T decoded(DecodeResult<T> result) {
        assertThat(result).isInstanceOf(DecodeResult.Decoded.class);
        return ((DecodeResult.Decoded<T>) result).value();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
