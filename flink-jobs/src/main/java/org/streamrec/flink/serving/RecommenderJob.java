package org.streamrec.flink.serving;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.changelog.fs.FsStateChangelogOptions;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.streamrec.avro.ClickEvent;
import org.streamrec.avro.DeadLetter;
import org.streamrec.avro.ModelAnnouncement;
import org.streamrec.avro.Recommendation;
import org.streamrec.avro.ServingControl;
import org.streamrec.avro.codec.AvroCodec;
import org.streamrec.flink.io.AvroRecordSerializer;
import org.streamrec.flink.io.DecodeAndValidate;
import org.streamrec.flink.io.ModelAnnouncementDeserializer;
import org.streamrec.flink.io.RawRecord;
import org.streamrec.flink.io.RawRecordDeserializer;
import org.streamrec.flink.io.ServingControlDeserializer;

/**
 * The serving job: raw {@code events} records → decode and validate (bad ones to the dead-letter sink) → event-time
 * watermarks → {@code keyBy(userId)} → {@link SessionRecommenderOperator}, with model announcements broadcast into
 * it → recommendations sink.
 *
 * <p>As in apache/flink-training, the job takes its sources and sinks in the constructor and {@link #build} wires
 * them, so tests run the real topology with bounded sources and collecting sinks while {@code main} wires Kafka
 * through the static factories below.
 */
public final class RecommenderJob {

    /**
     * Name (and uid) of the keyed session operator: its metrics are reported under it (docs/METRICS.md), and a
     * savepoint maps its state by the uid, so neither may change.
     */
    public static final String SERVING_OPERATOR = "session-recommender";

    /** How often the control source looks for its topic (or new partitions): one metadata request each time. */
    static final long CONTROL_TOPIC_DISCOVERY_MS = 10_000;

    private final RecommenderConfig config;
    private final Source<RawRecord, ?, ?> events;
    private final Source<ModelAnnouncement, ?, ?> announcements;
    private final Sink<Recommendation> recommendations;
    private final Sink<DeadLetter> deadLetters;
    private final ServingModelLoader modelLoader;
    /** Null: a job without a control channel (tests that do not need one). */
    private final Source<ServingControl, ?, ?> control;

    public RecommenderJob(RecommenderConfig config, Source<RawRecord, ?, ?> events,
                          Source<ModelAnnouncement, ?, ?> announcements, Sink<Recommendation> recommendations,
                          Sink<DeadLetter> deadLetters, ServingModelLoader modelLoader) {
        this(config, events, announcements, null, recommendations, deadLetters, modelLoader);
    }

    /** @param control the {@link ServingControl} commands (pin, unpin, delete a user), or null for none */
    public RecommenderJob(RecommenderConfig config, Source<RawRecord, ?, ?> events,
                          Source<ModelAnnouncement, ?, ?> announcements, Source<ServingControl, ?, ?> control,
                          Sink<Recommendation> recommendations, Sink<DeadLetter> deadLetters,
                          ServingModelLoader modelLoader) {
        this.control = control;
        this.config = Objects.requireNonNull(config, "config");
        this.events = Objects.requireNonNull(events, "events");
        this.announcements = Objects.requireNonNull(announcements, "announcements");
        this.recommendations = Objects.requireNonNull(recommendations, "recommendations");
        this.deadLetters = Objects.requireNonNull(deadLetters, "deadLetters");
        this.modelLoader = Objects.requireNonNull(modelLoader, "modelLoader");
    }

    /**
     * Runs the job on Kafka with the given flags ({@code --help} lists them). Exit code 2 for a bad configuration.
     */
    public static void main(String[] args) throws Exception {
        RecommenderConfig config;
        try {
            config = RecommenderConfig.parse(args);
        } catch (picocli.CommandLine.ParameterException e) {
            System.err.println(e.getMessage());
            e.getCommandLine().usage(System.err);
            System.exit(2);
            return;
        }
        if (config.helpRequested()) {
            RecommenderConfig.commandLine(new RecommenderConfig()).usage(System.out);
            return;
        }
        onKafka(config, true).execute();
    }

    /**
     * The job wired to Kafka as {@code config} says, with model snapshots loaded from their URIs; with
     * {@code withControl} it also reads the serving-control topic (the production job does; the demo and the load
     * test, which send no commands, leave it out).
     */
    public static RecommenderJob onKafka(RecommenderConfig config, boolean withControl) {
        return new RecommenderJob(config, eventsSource(config).build(), announcementsSource(config).build(),
                withControl ? controlSource(config).build() : null, recommendationsSink(config), deadLetterSink(config),
                new SnapshotModelLoader(config.scoreBoundRank()));
    }

    /** Adds the job's topology to {@code env}. */
    public void build(StreamExecutionEnvironment env) {
        if (config.parallelism() > 0) {
            env.setParallelism(config.parallelism());
        }
        // Watermarks are assigned after decoding, because only a decoded event has an event time; that makes them
        // per source subtask rather than per Kafka partition (documented in the README).
        SingleOutputStreamOperator<ClickEvent> decoded = env
                .fromSource(events, WatermarkStrategy.noWatermarks(), "events").uid("events-source")
                .process(new DecodeAndValidate(config.eventRules(), config.dlqMaxPayloadBytes()),
                        new AvroTypeInfo<>(ClickEvent.class))
                .name("decode-and-validate").uid("decode-and-validate");

        decoded.getSideOutput(DecodeAndValidate.DEAD_LETTERS)
                .sinkTo(deadLetters).name("dead-letters").uid("dead-letters-sink");

        DataStream<ClickEvent> timed = decoded.assignTimestampsAndWatermarks(
                WatermarkStrategy.<ClickEvent>forBoundedOutOfOrderness(config.watermarkOutOfOrderness())
                        .withTimestampAssigner((event, previous) -> event.getEventTime().toEpochMilli())
                        .withIdleness(config.watermarkIdleness()))
                .name("event-time").uid("event-time");

        // Announcements and control commands carry no event time; the operator ignores watermarks on this input.
        // Both go to every subtask: a pin concerns all of them, and a user deletion is applied by the subtask that
        // owns the user (routing it through the keyed input instead would need event time on the control stream).
        EitherTypeInfo<ModelAnnouncement, ServingControl> broadcastType = new EitherTypeInfo<>(
                new AvroTypeInfo<>(ModelAnnouncement.class), new AvroTypeInfo<>(ServingControl.class));
        DataStream<Either<ModelAnnouncement, ServingControl>> modelAndControl = env
                .fromSource(announcements, WatermarkStrategy.noWatermarks(), "model-updates")
                .setParallelism(1).uid("model-updates-source")
                .map(Either::<ModelAnnouncement, ServingControl>Left, broadcastType)
                .setParallelism(1).name("model-updates-as-input").uid("model-updates-as-input");
        if (control != null) {
            modelAndControl = modelAndControl.union(env
                    .fromSource(control, WatermarkStrategy.noWatermarks(), "serving-control")
                    .setParallelism(1).uid("serving-control-source")
                    .map(Either::<ModelAnnouncement, ServingControl>Right, broadcastType)
                    .setParallelism(1).name("serving-control-as-input").uid("serving-control-as-input"));
        }

        timed.keyBy(ClickEvent::getUserId, Types.STRING)
                .connect(modelAndControl.broadcast())
                .transform(SERVING_OPERATOR, new AvroTypeInfo<>(Recommendation.class),
                        new SessionRecommenderOperator(config.sessionSettings(), modelLoader, config.modelUri()))
                .uid(SERVING_OPERATOR)
                .sinkTo(recommendations).name("recommendations").uid("recommendations-sink");
    }

    /** Builds the topology on an environment configured from {@link #flinkConfiguration} and runs it. */
    public void execute() throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfiguration(config));
        build(env);
        env.execute("streamrec-recommender");
    }

    /**
     * RocksDB keyed state and checkpointing, by configuration: Flink 2.x has no {@code env.setStateBackend}. The
     * memtable size and the compactions' CPU priority are set here because they bound pauses that events wait out
     * (see {@code --rocksdb-write-buffer-size} and {@code --rocksdb-low-priority-compaction}).
     * Generic (Kryo) types are disabled so that a type Flink cannot serialize efficiently fails at job build time
     * instead of silently slowing every RocksDB access. (On a cluster, ND4J/JavaCPP also belong in lib/ or parent-first,
     * {@code classloader.parent-first-patterns.additional: org.nd4j;org.bytedeco}: that is TaskManager
     * configuration, not job configuration; docs/ARCHITECTURE.md, "Platform facts".)
     */
    public static Configuration flinkConfiguration(RecommenderConfig config) {
        Configuration flink = new Configuration();
        flink.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        flink.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, config.checkpointInterval());
        flink.set(PipelineOptions.GENERIC_TYPES, false);
        // A savepoint maps state to operators by uid: an operator without one gets a hash of the graph around it,
        // which changes when the graph does (the events source's offsets would be lost on such an upgrade). Without
        // generated uids, an operator added without a uid fails the job build instead.
        flink.set(PipelineOptions.AUTO_GENERATE_UIDS, false);
        flink.set(ExecutionOptions.BUFFER_TIMEOUT, config.networkBufferTimeout());
        flink.set(RocksDBConfigurableOptions.WRITE_BUFFER_SIZE, config.rocksDbWriteBufferSize());
        if (config.rocksDbLowPriorityCompaction()) {
            flink.set(RocksDBOptions.OPTIONS_FACTORY, LowPriorityCompactionOptionsFactory.class.getName());
        }
        config.stateChangelog().ifPresent(on -> flink.set(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG, on));
        return flink;
    }

    /**
     * Cluster configuration for {@code --state-changelog}: the state changes go to files under {@code dir}. These are
     * TaskManager settings (a job cannot choose its changelog storage), so the clusters the project starts itself
     * (the load test's, deploy/local's) set them whether or not a job uses the changelog; a job that does not costs
     * nothing.
     */
    public static void useFileChangelogStorage(Configuration cluster, Path dir) {
        cluster.set(StateChangelogOptions.STATE_CHANGE_LOG_STORAGE, "filesystem");
        cluster.set(FsStateChangelogOptions.BASE_PATH, dir.toUri().toString());
        cluster.set(FsStateChangelogOptions.UPLOAD_BUFFER_SIZE, CHANGELOG_UPLOAD_BUFFER);
    }

    /**
     * The changelog writer's buffer per upload. Flink's default, 1 MB, is a humongous object for G1 wherever its
     * regions are 1 or 2 MB (heaps up to 4 GB): an operator uploads at each checkpoint and at every 5 MB of changes
     * (one upload every 1.6 s in the load test at 5,000 events/s), and there those allocations started G1 concurrent
     * cycles (BENCHMARKS.md, "Humongous allocations"). A smaller buffer only means more write calls per upload.
     */
    private static final MemorySize CHANGELOG_UPLOAD_BUFFER = MemorySize.parse("256kb");

    // ------------------------------------------------------------------ Kafka wiring

    /** The events source; unbounded, resuming from the group's committed offsets (earliest for a new group). */
    public static KafkaSourceBuilder<RawRecord> eventsSource(RecommenderConfig config) {
        return KafkaSource.<RawRecord>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setTopics(config.eventsTopic())
                .setGroupId(config.groupId())
                .setStartingOffsets(OffsetsInitializer.committedOffsets(
                        org.apache.kafka.clients.consumer.OffsetResetStrategy.EARLIEST))
                // Transactional producers (e.g. the replay tool) must only be read once committed.
                .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                .setDeserializer(new RawRecordDeserializer());
    }

    /** The announcements source: the compacted topic from its start, so a (re)started job sees the newest model. */
    public static KafkaSourceBuilder<ModelAnnouncement> announcementsSource(RecommenderConfig config) {
        return KafkaSource.<ModelAnnouncement>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setTopics(config.modelUpdatesTopic())
                .setGroupId(config.groupId() + "-model-updates")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                .setDeserializer(new ModelAnnouncementDeserializer());
    }

    /**
     * The control source. A new consumer group starts at the end of the topic: commands are meant for the job that
     * runs when they are sent, and replaying old ones would, say, delete a user who has come back since; a job
     * resumed from a checkpoint continues from its checkpointed offsets, and one restarted without state but with
     * the same group from the offsets committed at its last checkpoint.
     *
     * <p>Subscribed by pattern, not by name: a named topic that does not exist fails the job at start, and the
     * control topic is optional. A topic created later is found by partition discovery within
     * {@link #CONTROL_TOPIC_DISCOVERY_MS} and read from its start.
     */
    public static KafkaSourceBuilder<ServingControl> controlSource(RecommenderConfig config) {
        return KafkaSource.<ServingControl>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setTopicPattern(Pattern.compile(Pattern.quote(config.controlTopic())))
                .setProperty("partition.discovery.interval.ms", String.valueOf(CONTROL_TOPIC_DISCOVERY_MS))
                .setGroupId(config.groupId() + "-control")
                .setStartingOffsets(OffsetsInitializer.committedOffsets(
                        org.apache.kafka.clients.consumer.OffsetResetStrategy.LATEST))
                .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                .setDeserializer(new ServingControlDeserializer());
    }

    public static KafkaSink<Recommendation> recommendationsSink(RecommenderConfig config) {
        return kafkaSink(config, "-recs", new AvroRecordSerializer<>(config.recommendationsTopic(),
                AvroCodec::recommendations, r -> r.getUserId().getBytes(StandardCharsets.UTF_8)));
    }

    public static KafkaSink<DeadLetter> deadLetterSink(RecommenderConfig config) {
        // Keyed like the record it carries, so dead letters of one user stay in order.
        return kafkaSink(config, "-dlq", new AvroRecordSerializer<>(config.dlqTopic(),
                AvroCodec::deadLetters, d -> d.getKey() == null ? null : bytes(d.getKey())));
    }

    private static <T extends org.apache.avro.specific.SpecificRecord> KafkaSink<T> kafkaSink(
            RecommenderConfig config, String idSuffix, AvroRecordSerializer<T> serializer) {
        KafkaSinkBuilder<T> sink = KafkaSink.<T>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setRecordSerializer(serializer)
                .setDeliveryGuarantee(config.deliveryGuarantee())
                // Two sinks in one job need distinct transactional ids.
                .setTransactionalIdPrefix(config.transactionalIdPrefix() + idSuffix);
        sinkProducerProperties(config).forEach((key, value) -> sink.setProperty((String) key, (String) value));
        return sink.build();
    }

    /** The producer settings both sinks add to the connector's own. */
    static Properties sinkProducerProperties(RecommenderConfig config) {
        Properties producer = new Properties();
        producer.setProperty(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, String.valueOf(config.transactionTimeout().toMillis()));
        producer.setProperty(ProducerConfig.LINGER_MS_CONFIG, String.valueOf(config.sinkLinger().toMillis()));
        return producer;
    }

    private static byte[] bytes(java.nio.ByteBuffer buffer) {
        java.nio.ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
