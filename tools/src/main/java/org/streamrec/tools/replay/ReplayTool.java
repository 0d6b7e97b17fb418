package org.streamrec.tools.replay;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.data.DatasetFormat;
import org.streamrec.data.DatasetReaders;
import org.streamrec.data.Session;
import org.streamrec.data.SessionDataset;
import org.streamrec.flink.config.DurationConverter;
import org.streamrec.flink.config.KafkaOptions;
import org.streamrec.flink.kafka.Topics;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Feeds a session dataset into Kafka as live click events: {@code ClickEvent}s in single-object Avro encoding,
 * key = user id, sessions interleaved in time order with each session's own order kept, at a fixed rate, at the
 * dataset's own pace sped up, or as fast as the broker takes them.
 *
 * <pre>
 * replay ../shared/data/rsc15-100k/yoochoose-clicks-100k_test.txt --bootstrap-servers 127.0.0.1:9092 --rate 2000
 * </pre>
 *
 * <p>Exit code 0 when every record was acknowledged, 1 when some failed, 2 on bad arguments.
 */
@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Replays a session dataset into a Kafka topic as Avro ClickEvents (key = user id).",
                "Sessions are interleaved in time order; each session keeps its own order.",
                "Event ids are <dataset>-<session>-<position>; sessions without a user get user <dataset>-s<session>.",
                "Ordinal-time datasets (SR-GNN diginetica) get a synthetic clock: --synthetic-start + index x --ordinal-step."})
public final class ReplayTool implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DATASET", description = "Dataset file (any format DatasetReaders detects; .gz ok).")
    Path dataset;

    @Option(names = "--format", description = "Dataset format, when detection does not fit: ${COMPLETION-CANDIDATES}.")
    DatasetFormat format;

    @Option(names = "--dataset-name", description = "Prefix of event ids and derived user ids (default: the file name without extensions).")
    String datasetName;

    /** The replay keeps its own default, 127.0.0.1:9092 (the jobs' is localhost:9092), as before the options were shared. */
    @Mixin
    KafkaOptions kafka = new KafkaOptions("127.0.0.1:9092");

    @Option(names = "--topic", defaultValue = Topics.EVENTS, description = "Target topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    PacingOptions pacing = new PacingOptions();

    static final class PacingOptions {
        @Option(names = "--rate", description = "Events per second (token bucket, no drift). Default: as fast as possible.")
        Double rate;

        @Option(names = "--speedup", description = "Replay at the dataset's own event-time pace, this many times faster.")
        Double speedup;
    }

    @Option(names = "--burst", description = "With --rate: most events sent back to back after a stall (default: 100 ms worth).")
    Long burst;

    @Option(names = "--limit", description = "Stop after this many events.")
    Long limit;

    @Option(names = "--from-session", defaultValue = "0",
            description = "Skip this many sessions first (sessions ordered by start time, 0-based; default: ${DEFAULT-VALUE}).")
    int fromSession;

    @Option(names = "--sessions", description = "Replay only this many sessions, starting at --from-session.")
    Integer sessionCount;

    @Option(names = "--inject-malformed", defaultValue = "0",
            description = "Mix this many malformed records (bad header, truncated, unknown schema, blank item, empty) evenly into the stream.")
    int malformed;

    @Option(names = "--progress-interval", defaultValue = "2s", converter = DurationConverter.class,
            description = "How often to print progress (default: ${DEFAULT-VALUE}).")
    Duration progressInterval;

    @Option(names = "--synthetic-start", description = "Start of the synthetic clock for ordinal-time datasets (default: 2016-01-01T00:00:00Z).")
    Instant syntheticStart = ReplayClock.DEFAULT_SYNTHETIC_START;

    @Option(names = "--ordinal-step", converter = DurationConverter.class,
            description = "Synthetic time between consecutive ordinal indexes (default: 1s).")
    Duration ordinalStep = ReplayClock.DEFAULT_ORDINAL_STEP;

    @Option(names = "--producer-property", paramLabel = "KEY=VALUE", description = "Extra Kafka producer setting; repeatable.")
    Map<String, String> producerProperties = new HashMap<>();

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        return new CommandLine(new ReplayTool());
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        if (!Files.isRegularFile(dataset)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no such dataset file: " + dataset);
        }
        DatasetFormat actualFormat = format != null ? format : DatasetReaders.detect(dataset);
        SessionDataset data = DatasetReaders.read(dataset, actualFormat);
        List<Session> slice = slice(data, fromSession, sessionCount);
        String name = datasetName != null ? datasetName : datasetNameOf(dataset);
        ReplayClock clock = ReplayClock.forFormat(actualFormat, syntheticStart, ordinalStep);
        out.printf("replay: %s (%s, %s): %,d sessions, %,d events; replaying sessions %,d..%,d%s%n", dataset, actualFormat,
                clock, data.sessionCount(), data.eventCount(), fromSession, fromSession + slice.size() - 1,
                limit == null ? "" : String.format(", at most %,d events", limit));
        if (data.report().malformedCount() > 0) {
            out.printf("replay: the reader skipped %,d malformed lines%n", data.report().malformedCount());
        }
        out.flush();

        Pacer pacer = pacer();
        ReplaySummary summary;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig(kafka.bootstrapServers(), producerProperties))) {
            Replayer replayer = new Replayer(producer, topic, new ClickEventFactory(name, clock), AvroCodec.clickEvents(),
                    pacer, Ticker.SYSTEM, progressInterval, progress -> {
                        out.println("replay: " + progress.describe());
                        out.flush();
                    });
            summary = replayer.run(slice, limit == null ? Long.MAX_VALUE : limit, malformed);
        }
        out.println("replay: " + summary.describe());
        if (pacer instanceof TokenBucketPacer bucket && bucket.reanchorings() > 0) {
            out.printf("replay: the rate could not be kept %,d times (stalls longer than the burst allows)%n", bucket.reanchorings());
        }
        out.flush();
        return summary.complete() ? 0 : 1;
    }

    private Pacer pacer() {
        if (pacing.rate != null) {
            return new TokenBucketPacer(pacing.rate, burst != null ? burst : TokenBucketPacer.defaultBurst(pacing.rate), Ticker.SYSTEM);
        }
        if (pacing.speedup != null) {
            return new EventTimePacer(pacing.speedup, Ticker.SYSTEM);
        }
        return Pacer.unpaced();
    }

    /**
     * Sessions {@code from .. from + count - 1} of the dataset in start-time order ({@code count} null: to the
     * end), so that a part of a dataset can be replayed and the next part later.
     */
    public static List<Session> slice(SessionDataset data, int from, Integer count) {
        List<Session> ordered = data.sortedByStartTime();
        if (from < 0 || from > ordered.size()) {
            throw new IllegalArgumentException("--from-session " + from + " is outside 0.." + ordered.size());
        }
        if (count != null && count < 0) {
            throw new IllegalArgumentException("--sessions must not be negative: " + count);
        }
        int to = count == null ? ordered.size() : (int) Math.min(ordered.size(), (long) from + count);
        return ordered.subList(from, to);
    }

    /** {@code yoochoose-clicks-100k_test.txt} → {@code yoochoose-clicks-100k_test}; also drops {@code .gz}. */
    public static String datasetNameOf(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".gz")) {
            name = name.substring(0, name.length() - 3);
        }
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /**
     * Producer settings of the replay: every record acknowledged by all in-sync replicas, idempotent so a retry
     * neither duplicates nor reorders records of a partition, and a short linger so records go out in batches.
     */
    public static Map<String, Object> producerConfig(String bootstrapServers, Map<String, String> overrides) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "streamrec-replay");
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
        config.putAll(overrides);
        return config;
    }
}
