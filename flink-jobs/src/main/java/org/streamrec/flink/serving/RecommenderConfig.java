package org.streamrec.flink.serving;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.apache.flink.configuration.MemorySize;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.util.TimeUtils;
import org.streamrec.avro.codec.ClickEventRules;
import org.streamrec.flink.io.DeadLetterBounds;

import org.streamrec.flink.config.ConfigFile;
import org.streamrec.flink.config.DurationConverter;
import org.streamrec.flink.config.TopicOptions;
import org.streamrec.flink.kafka.KafkaJobOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine;

/**
 * Everything the serving job can be told, with its default, in one place: the {@code @Option} declarations below
 * are the documentation ({@code --help} prints them with their defaults).
 *
 * <p>Precedence, lowest first: the defaults here, then a configuration file ({@code --config}, a {@code .yaml}/
 * {@code .yml} file with flat {@code key: value} entries or a {@code .properties} file), then command-line flags.
 * File keys are the long option names without the dashes ({@code session-gap: 30 min}); an unknown key is an
 * error, so a typo in a deployment file cannot silently fall back to a default. Durations use Flink's syntax
 * ({@code 5 ms}, {@code 30 min} or {@code 30m}, {@code 1 d}; {@link DurationConverter}), the same as in Flink's own
 * {@code config.yaml}.
 *
 * <p>Parse with {@link #parse(String...)}, which also validates; an invalid setting is a {@link ParameterException}
 * whose message names the option. Operators get only the plain {@link SessionSettings} part.
 *
 * <p>About 500 lines because it is the serving job's whole option surface: each option is a declaration with its
 * help text, and splitting them would scatter the one reference a user reads with {@code --help}.
 */
@Command(name = "recommender-job", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Streaming session recommender: Kafka events -> GRU4Rec top-k -> Kafka recommendations.")
public final class RecommenderConfig {

    /** Below this a memtable holds a few hundred session states and RocksDB would flush almost per batch. */
    private static final long MIN_WRITE_BUFFER_BYTES = 64 * 1024;

    @Mixin
    private KafkaJobOptions kafka;

    @Mixin
    private TopicOptions.Recommendations recommendations;

    @Mixin
    private TopicOptions.DeadLetters deadLetters;

    @Option(names = "--dlq-max-payload-bytes", defaultValue = "64 kb", converter = MemorySizeConverter.class,
            description = "Bytes of a bad record's value kept in its dead letter. A longer value is cut to its first "
                    + "bytes and the dead letter says so (payloadTruncated, originalPayloadSize), as is a key over 4 kb "
                    + "(keyTruncated, originalKeySize), so that every dead letter stays under the producer's "
                    + "max.request.size and the topic's max.message.bytes (Kafka's defaults, 1 mb) and a record near the "
                    + "events topic's limit cannot fail the dead-letter sink. At most 1009 kb; 0 keeps only the sizes "
                    + "(default: ${DEFAULT-VALUE}).")
    private MemorySize dlqMaxPayloadBytes;

    @Mixin
    private TopicOptions.Control control;

    @Option(names = "--group-id", defaultValue = "streamrec-serving",
            description = "Kafka consumer group id; offsets are committed on checkpoints (default: ${DEFAULT-VALUE}).")
    private String groupId;

    @Option(names = {"-k", "--k"}, defaultValue = "20", description = "Items per recommendation (default: ${DEFAULT-VALUE}).")
    private int k;

    @Option(names = "--session-gap", defaultValue = "30 min", converter = DurationConverter.class,
            description = "Event-time inactivity after which a session ends and its state is cleared (default: ${DEFAULT-VALUE}).")
    private Duration sessionGap;

    @Option(names = "--state-ttl", defaultValue = "1 d", converter = DurationConverter.class,
            description = "Processing-time TTL of per-user state, a backstop for users whose session timer never fires "
                    + "because event time stops advancing (default: ${DEFAULT-VALUE}).")
    private Duration stateTtl;

    @Option(names = "--max-session-items", defaultValue = "50",
            description = "Most recent items kept per session, for exclusions and for recomputing the hidden state "
                    + "after a model swap (default: ${DEFAULT-VALUE}).")
    private int maxSessionItems;

    @Option(names = "--batch-max-size", defaultValue = "128",
            description = "Scoring requests per micro-batch, i.e. rows of one matrix product (default: ${DEFAULT-VALUE}).")
    private int batchMaxSize;

    @Option(names = "--batch-max-delay", defaultValue = "5 ms", converter = DurationConverter.class,
            description = "Longest a request waits for its batch to fill, in processing time (default: ${DEFAULT-VALUE}).")
    private Duration batchMaxDelay;

    @Option(names = "--exclude-seen", defaultValue = "false", negatable = true, fallbackValue = "true",
            description = "Never recommend items already in the session (default: ${DEFAULT-VALUE}, as the offline protocol).")
    private boolean excludeSeen;

    @Option(names = "--checkpoint-interval", defaultValue = "10 s", converter = DurationConverter.class,
            description = "Checkpoint interval; with exactly-once, output becomes visible to read_committed consumers "
                    + "at this pace (default: ${DEFAULT-VALUE}).")
    private Duration checkpointInterval;

    @Option(names = "--delivery-guarantee", defaultValue = "exactly-once", converter = GuaranteeConverter.class,
            description = "exactly-once (Kafka transactions) or at-least-once (default: ${DEFAULT-VALUE}).")
    private DeliveryGuarantee deliveryGuarantee;

    @Option(names = "--transactional-id-prefix", defaultValue = "streamrec-serving",
            description = "Prefix of the Kafka transactional ids of both sinks; must be unique per job on a cluster "
                    + "(default: ${DEFAULT-VALUE}).")
    private String transactionalIdPrefix;

    @Option(names = "--transaction-timeout", defaultValue = "10 min", converter = DurationConverter.class,
            description = "Producer transaction.timeout.ms; must stay below the broker's transaction.max.timeout.ms "
                    + "(15 min by default) and above the checkpoint interval (default: ${DEFAULT-VALUE}).")
    private Duration transactionTimeout;

    @Option(names = "--watermark-out-of-orderness", defaultValue = "5 s", converter = DurationConverter.class,
            description = "Bounded out-of-orderness of event time (default: ${DEFAULT-VALUE}).")
    private Duration watermarkOutOfOrderness;

    @Option(names = "--watermark-idleness", defaultValue = "1 min", converter = DurationConverter.class,
            description = "A source split without events for this long stops holding back the watermark "
                    + "(default: ${DEFAULT-VALUE}).")
    private Duration watermarkIdleness;

    @Option(names = "--earliest-event-time", defaultValue = "1990-01-01T00:00:00Z", converter = InstantConverter.class,
            description = "Events with an earlier event time are dead-lettered (INVALID_FIELD): catches zero times and "
                    + "seconds sent as milliseconds; historic datasets (MovieLens: 1995) stay valid. ISO-8601 instant "
                    + "(default: ${DEFAULT-VALUE}).")
    private Instant earliestEventTime;

    @Option(names = "--max-event-time-ahead", defaultValue = "5 min", converter = DurationConverter.class,
            description = "Events whose event time is further ahead of the decoding subtask's clock, or of its "
                    + "stream time (see --clock-skew-tolerance) if that is later, are dead-lettered (INVALID_FIELD): "
                    + "one such event would drag the watermark ahead and close other sessions early "
                    + "(default: ${DEFAULT-VALUE}).")
    private Duration maxEventTimeAhead;

    @Option(names = "--clock-skew-tolerance", defaultValue = "15 min", converter = DurationConverter.class,
            description = "How far the stream time of a decoding subtask (the median of its last 255 event times, "
                    + "moved on with its clock) may move the --max-event-time-ahead reference past its clock, so that "
                    + "a TaskManager whose clock is slow by up to this much still accepts live traffic; a lone "
                    + "far-future event cannot move the median, and nothing further than this plus "
                    + "--max-event-time-ahead ahead of the clock is accepted. 0 judges against the clock alone "
                    + "(default: ${DEFAULT-VALUE}).")
    private Duration clockSkewTolerance;

    @Option(names = "--network-buffer-timeout", defaultValue = "100 ms", converter = DurationConverter.class,
            description = "Longest a record waits in a network buffer before it is sent downstream (Flink's "
                    + "execution.buffer-timeout); lower trades CPU for latency at low traffic (default: ${DEFAULT-VALUE}, "
                    + "Flink's own).")
    private Duration networkBufferTimeout;

    @Option(names = "--rocksdb-write-buffer-size", defaultValue = "4 mb", converter = MemorySizeConverter.class,
            description = "Size of one RocksDB memtable (state.backend.rocksdb.writebuffer.size). Every checkpoint "
                    + "flushes the memtables in its synchronous part, while the operator processes no event; smaller "
                    + "memtables flush in the background more often and leave less for that pause, larger ones compact "
                    + "less (default: ${DEFAULT-VALUE}; RocksDB's own is 64 mb; see BENCHMARKS.md).")
    private MemorySize rocksDbWriteBufferSize;

    @Option(names = "--rocksdb-low-priority-compaction", defaultValue = "true", negatable = true, fallbackValue = "true",
            description = "Run RocksDB's compactions at the lowest CPU priority (LowPriorityCompactionOptionsFactory), so "
                    + "they use idle cores instead of delaying events; turn off with --no-rocksdb-low-priority-compaction "
                    + "when the cluster sets its own state.backend.rocksdb.options-factory, which this replaces for the job "
                    + "(default: ${DEFAULT-VALUE}).")
    private boolean rocksDbLowPriorityCompaction;

    // Not on by default: it needs durable changelog storage that only the cluster can configure (state.changelog.storage
    // and its base path are TaskManager settings), and Flink's default storage, "memory", does not survive a restart.
    @Option(names = "--state-changelog", negatable = true, fallbackValue = "true",
            description = "Use Flink's changelog state backend on top of RocksDB (state.changelog.enabled): state changes "
                    + "are also written to a log, and a checkpoint persists that log instead of flushing RocksDB's "
                    + "memtables while the operator waits; RocksDB is materialized in the background, every 10 min by "
                    + "default. Cut the checkpoint pause from 64-139 ms to 2-8 ms in the load test (BENCHMARKS.md). "
                    + "Needs a cluster that sets state.changelog.storage: filesystem and "
                    + "state.changelog.dstl.dfs.base-path on durable storage (deploy/local and the load test do). "
                    + "--no-state-changelog turns it off for the job (default: the cluster's setting, off in Flink).")
    private Boolean stateChangelog;

    @Option(names = "--score-bound-rank", paramLabel = "RANK",
            description = "Rank of the bound that prunes the exact top-k (LowRankScoreBound): only items whose bound "
                    + "can still reach a session's k-th best score are scored in full; the recommendations are the same "
                    + "as scoring every item. Built when a model loads (under a second at 43k items). 0 scores every item "
                    + "(default: about a third of the model's hidden units, 32 at 100; see BENCHMARKS.md).")
    private Integer scoreBoundRank;

    /** {@code --sink-linger}'s default; the load test passes the same unless told otherwise. */
    public static final String DEFAULT_SINK_LINGER = "0 ms";

    // Not Kafka's 5 ms: a recommendation is small and someone is waiting for it. With 0 the producer still batches
    // what accumulates while a request is in flight; the load test measured p50 5-13 ms lower (BENCHMARKS.md).
    @Option(names = "--sink-linger", defaultValue = DEFAULT_SINK_LINGER, converter = DurationConverter.class,
            description = "linger.ms of the recommendations and dead-letter producers: how long a record may wait for "
                    + "others to share its request. Part of every recommendation's latency; a higher value sends fewer, "
                    + "larger requests to the brokers (default: ${DEFAULT-VALUE}; Kafka's own is 5 ms).")
    private Duration sinkLinger;

    @Option(names = "--model-uri",
            description = "Snapshot directory of the model to start with (Flink FileSystem URI: file://, s3://, hdfs://). Required.")
    private String modelUri;

    @Option(names = "--parallelism", defaultValue = "-1",
            description = "Job parallelism; -1 keeps the cluster's default (default: ${DEFAULT-VALUE}).")
    private int parallelism;

    private boolean helpRequested;

    /** True when {@code --help}/{@code --version} was given: the caller prints usage; nothing was validated. */
    public boolean helpRequested() {
        return helpRequested;
    }

    /** Parses and validates; throws {@link ParameterException} with a message naming the offending option. */
    public static RecommenderConfig parse(String... args) {
        RecommenderConfig config = new RecommenderConfig();
        CommandLine cmd = commandLine(config);
        ConfigFile.use(cmd, args);
        cmd.parseArgs(args);
        if (cmd.isUsageHelpRequested() || cmd.isVersionHelpRequested()) {
            config.helpRequested = true;
            return config;
        }
        config.validate(cmd);
        return config;
    }

    /** The picocli command line bound to {@code config}, e.g. to print usage. */
    public static CommandLine commandLine(RecommenderConfig config) {
        CommandLine cmd = new CommandLine(config);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        return cmd;
    }

    /** Checks relations between settings that the individual converters cannot see. */
    void validate(CommandLine cmd) {
        List<String> errors = new ArrayList<>();
        requireText(errors, "--bootstrap-servers", bootstrapServers());
        requireText(errors, "--events-topic", eventsTopic());
        requireText(errors, "--recommendations-topic", recommendationsTopic());
        requireText(errors, "--dlq-topic", dlqTopic());
        requireText(errors, "--model-updates-topic", modelUpdatesTopic());
        requireText(errors, "--control-topic", controlTopic());
        requireText(errors, "--group-id", groupId);
        requireText(errors, "--transactional-id-prefix", transactionalIdPrefix);
        requireText(errors, "--model-uri", modelUri);
        Set<String> topics = new HashSet<>();
        for (String t : new String[] {eventsTopic(), recommendationsTopic(), dlqTopic(), modelUpdatesTopic(), controlTopic()}) {
            if (t != null && !t.isBlank() && !topics.add(t)) {
                errors.add("topic '" + t + "' is used for two purposes");
            }
        }
        if (k < 1) {
            errors.add("--k must be at least 1, was " + k);
        }
        if (maxSessionItems < 1) {
            errors.add("--max-session-items must be at least 1, was " + maxSessionItems);
        }
        if (batchMaxSize < 1) {
            errors.add("--batch-max-size must be at least 1, was " + batchMaxSize);
        }
        requirePositive(errors, "--session-gap", sessionGap);
        requirePositive(errors, "--state-ttl", stateTtl);
        requirePositive(errors, "--batch-max-delay", batchMaxDelay);
        requirePositive(errors, "--checkpoint-interval", checkpointInterval);
        requirePositive(errors, "--transaction-timeout", transactionTimeout);
        requirePositive(errors, "--watermark-idleness", watermarkIdleness);
        if (networkBufferTimeout.isNegative()) {
            errors.add("--network-buffer-timeout must not be negative, was " + networkBufferTimeout);
        }
        if (scoreBoundRank != null && scoreBoundRank < 0) {
            errors.add("--score-bound-rank must not be negative, was " + scoreBoundRank);
        }
        if (rocksDbWriteBufferSize.getBytes() < MIN_WRITE_BUFFER_BYTES) {
            errors.add("--rocksdb-write-buffer-size must be at least 64 kb, was " + rocksDbWriteBufferSize);
        }
        if (dlqMaxPayloadBytes.getBytes() > DeadLetterBounds.largestMaxPayloadBytes()) {
            errors.add("--dlq-max-payload-bytes must be at most " + DeadLetterBounds.largestMaxPayloadBytes()
                    + " bytes, so that a dead letter fits Kafka's default max.request.size ("
                    + DeadLetterBounds.KAFKA_DEFAULT_MAX_REQUEST_SIZE + " bytes), was " + dlqMaxPayloadBytes);
        }
        if (maxEventTimeAhead.isNegative()) {
            errors.add("--max-event-time-ahead must not be negative, was " + maxEventTimeAhead);
        }
        if (clockSkewTolerance.isNegative()) {
            errors.add("--clock-skew-tolerance must not be negative, was " + clockSkewTolerance);
        }
        if (watermarkOutOfOrderness.isNegative()) {
            errors.add("--watermark-out-of-orderness must not be negative, was " + watermarkOutOfOrderness);
        }
        if (stateTtl.compareTo(sessionGap) < 0) {
            // The TTL is a backstop; shorter than the gap it would cut live sessions.
            errors.add("--state-ttl (" + format(stateTtl) + ") must not be shorter than --session-gap (" + format(sessionGap) + ")");
        }
        if (deliveryGuarantee == DeliveryGuarantee.EXACTLY_ONCE && transactionTimeout.compareTo(checkpointInterval) <= 0) {
            errors.add("--transaction-timeout (" + format(transactionTimeout) + ") must exceed --checkpoint-interval ("
                    + format(checkpointInterval) + "), or open transactions are aborted before they commit");
        }
        if (parallelism == 0 || parallelism < -1) {
            errors.add("--parallelism must be positive or -1, was " + parallelism);
        }
        if (!errors.isEmpty()) {
            throw new ParameterException(cmd, "Invalid configuration: " + String.join("; ", errors));
        }
    }

    private static void requireText(List<String> errors, String option, String value) {
        if (value == null || value.isBlank()) {
            errors.add(option + " is required");
        }
    }

    private static void requirePositive(List<String> errors, String option, Duration value) {
        if (value.isZero() || value.isNegative()) {
            errors.add(option + " must be positive, was " + format(value));
        }
    }

    private static String format(Duration d) {
        return TimeUtils.formatWithHighestUnit(d);
    }

    /** Flink memory size syntax, e.g. {@code 4 mb}, {@code 512 kb}; a bare number is bytes. */
    public static final class MemorySizeConverter implements CommandLine.ITypeConverter<MemorySize> {
        @Override
        public MemorySize convert(String value) {
            try {
                return MemorySize.parse(value.trim());
            } catch (RuntimeException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a memory size (e.g. 4 mb): " + e.getMessage());
            }
        }
    }

    /** An ISO-8601 instant, e.g. {@code 1990-01-01T00:00:00Z}. */
    public static final class InstantConverter implements CommandLine.ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            try {
                return Instant.parse(value.trim());
            } catch (RuntimeException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not an ISO-8601 instant "
                        + "(e.g. 1990-01-01T00:00:00Z): " + e.getMessage());
            }
        }
    }

    /** {@code exactly-once}, {@code at-least-once} (also the enum names); {@code none} is refused: it loses output. */
    public static final class GuaranteeConverter implements CommandLine.ITypeConverter<DeliveryGuarantee> {
        @Override
        public DeliveryGuarantee convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            switch (v) {
                case "exactly-once":
                    return DeliveryGuarantee.EXACTLY_ONCE;
                case "at-least-once":
                    return DeliveryGuarantee.AT_LEAST_ONCE;
                default:
                    throw new CommandLine.TypeConversionException("'" + value + "' is not exactly-once or at-least-once");
            }
        }
    }

    public Path configFile() {
        return kafka.configFile();
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String eventsTopic() {
        return kafka.eventsTopic();
    }

    public String recommendationsTopic() {
        return recommendations.topic();
    }

    public String dlqTopic() {
        return deadLetters.topic();
    }

    /** {@code --dlq-max-payload-bytes}, validated to fit an int and Kafka's default request size. */
    public int dlqMaxPayloadBytes() {
        return (int) dlqMaxPayloadBytes.getBytes();
    }

    public String modelUpdatesTopic() {
        return kafka.modelUpdatesTopic();
    }

    public String controlTopic() {
        return control.topic();
    }

    public String groupId() {
        return groupId;
    }

    public int k() {
        return k;
    }

    public Duration sessionGap() {
        return sessionGap;
    }

    public Duration stateTtl() {
        return stateTtl;
    }

    public int maxSessionItems() {
        return maxSessionItems;
    }

    public int batchMaxSize() {
        return batchMaxSize;
    }

    public Duration batchMaxDelay() {
        return batchMaxDelay;
    }

    public boolean excludeSeen() {
        return excludeSeen;
    }

    public Duration checkpointInterval() {
        return checkpointInterval;
    }

    public DeliveryGuarantee deliveryGuarantee() {
        return deliveryGuarantee;
    }

    public String transactionalIdPrefix() {
        return transactionalIdPrefix;
    }

    public Duration transactionTimeout() {
        return transactionTimeout;
    }

    public Duration watermarkOutOfOrderness() {
        return watermarkOutOfOrderness;
    }

    public Duration watermarkIdleness() {
        return watermarkIdleness;
    }

    public Instant earliestEventTime() {
        return earliestEventTime;
    }

    public Duration maxEventTimeAhead() {
        return maxEventTimeAhead;
    }

    public Duration clockSkewTolerance() {
        return clockSkewTolerance;
    }

    /**
     * The validation rules of incoming events, from {@code --earliest-event-time}, {@code --max-event-time-ahead} and
     * {@code --clock-skew-tolerance}.
     */
    public ClickEventRules eventRules() {
        return ClickEventRules.of(earliestEventTime, maxEventTimeAhead, clockSkewTolerance);
    }

    public Duration networkBufferTimeout() {
        return networkBufferTimeout;
    }

    public MemorySize rocksDbWriteBufferSize() {
        return rocksDbWriteBufferSize;
    }

    public boolean rocksDbLowPriorityCompaction() {
        return rocksDbLowPriorityCompaction;
    }

    /** {@code --state-changelog}: true or false when given, empty to keep the cluster's setting. */
    public Optional<Boolean> stateChangelog() {
        return Optional.ofNullable(stateChangelog);
    }

    /** {@code --score-bound-rank}, or {@link SnapshotModelLoader#DEFAULT_SCORE_BOUND_RANK} when not given. */
    public int scoreBoundRank() {
        return scoreBoundRank == null ? SnapshotModelLoader.DEFAULT_SCORE_BOUND_RANK : scoreBoundRank;
    }

    public Duration sinkLinger() {
        return sinkLinger;
    }

    public String modelUri() {
        return modelUri;
    }

    public int parallelism() {
        return parallelism;
    }

    /** The operator's part of the configuration. */
    public SessionSettings sessionSettings() {
        return new SessionSettings(k, sessionGap.toMillis(), stateTtl.toMillis(), maxSessionItems, batchMaxSize,
                batchMaxDelay.toMillis(), excludeSeen);
    }
}
