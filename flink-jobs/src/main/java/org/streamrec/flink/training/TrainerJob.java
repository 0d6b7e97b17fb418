package org.streamrec.flink.training;

import java.time.Duration;
import java.util.Objects;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.formats.avro.typeutils.AvroTypeInfo;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.streamrec.avro.ClickEvent;
import org.streamrec.flink.io.DecodeAndValidate;
import org.streamrec.flink.io.RawRecord;
import org.streamrec.flink.io.RawRecordDeserializer;
import org.streamrec.flink.kafka.KafkaAnnouncementSink;
import org.streamrec.flink.model.AnnouncementSink;

/**
 * The trainer job: raw {@code events} records → {@link DecodeAndValidate} (bad records are only counted, by its
 * {@code deadLetters} metrics: the serving job dead-letters them) → {@link TrainerFunction} with parallelism 1 →
 * snapshots in the model store and announcements on {@code model-updates}. Like {@code RecommenderJob}, it takes its
 * events source and its announcement sink in the constructor, so tests run the real topology on bounded sources and
 * a collecting sink while {@link #onKafka} wires Kafka.
 */
public final class TrainerJob {

    private final TrainerConfig config;
    private final Source<RawRecord, ?, ?> events;
    private final AnnouncementSink announcements;

    public TrainerJob(TrainerConfig config, Source<RawRecord, ?, ?> events, AnnouncementSink announcements) {
        this.config = Objects.requireNonNull(config, "config");
        this.events = Objects.requireNonNull(events, "events");
        this.announcements = Objects.requireNonNull(announcements, "announcements");
    }

    /** The job wired to Kafka as {@code config} says: events from its topic, announcements to model-updates. */
    public static TrainerJob onKafka(TrainerConfig config) {
        return new TrainerJob(config, eventsSource(config).build(), announcementSink(config));
    }

    public static void main(String[] args) throws Exception {
        TrainerConfig config;
        try {
            config = TrainerConfig.parse(args);
        } catch (picocli.CommandLine.ParameterException e) {
            System.err.println(e.getMessage());
            e.getCommandLine().usage(System.err);
            System.exit(2);
            return;
        }
        if (config.helpRequested()) {
            TrainerConfig.commandLine(new TrainerConfig()).usage(System.out);
            return;
        }
        TrainerJob job = onKafka(config);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConfiguration(config));
        job.build(env);
        env.execute("streamrec-trainer");
    }

    /** Adds source, decoding and the trainer to {@code env}. */
    public void build(StreamExecutionEnvironment env) {
        attachTrainer(decodedEvents(env));
    }

    /** Source and decoding; invalid records go nowhere but are counted by {@link DecodeAndValidate}. */
    public DataStream<ClickEvent> decodedEvents(StreamExecutionEnvironment env) {
        if (config.parallelism() > 0) {
            env.setParallelism(config.parallelism());
        }
        return env.fromSource(events, WatermarkStrategy.noWatermarks(), "events").uid("events-source")
                .process(new DecodeAndValidate(), new AvroTypeInfo<>(ClickEvent.class))
                .name("decode-and-validate").uid("decode-and-validate");
    }

    /**
     * The trainer on a stream of valid events. Each upstream channel is FIFO and a user's events come from one Kafka
     * partition, so a session's events arrive in order; across sessions the order is arrival order.
     */
    public void attachTrainer(DataStream<ClickEvent> decoded) {
        decoded.global()
                .process(new TrainerFunction(config.settings(), announcements), Types.VOID)
                // One model: GRU4Rec's dense weights change with every mini-batch, so training does not split by key.
                .setParallelism(1).setMaxParallelism(1)
                .name("gru4rec-trainer").uid("gru4rec-trainer")
                .sinkTo(new DiscardingSink<>()).setParallelism(1).name("discard").uid("discard");
    }

    /** Checkpointing: the trainer writes snapshots and publishes at checkpoints. No keyed state, so the default backend. */
    public static Configuration flinkConfiguration(TrainerConfig config) {
        Configuration flink = new Configuration();
        flink.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, config.checkpointInterval());
        flink.set(PipelineOptions.GENERIC_TYPES, false);
        // Every operator has a uid, so a savepoint restores into a changed graph (see RecommenderJob).
        flink.set(PipelineOptions.AUTO_GENERATE_UIDS, false);
        return flink;
    }

    /** The model-updates topic, keyed by {@code --model-name}; each send waits up to 60 s for the broker. */
    public static KafkaAnnouncementSink announcementSink(TrainerConfig config) {
        return new KafkaAnnouncementSink(config.bootstrapServers(), config.modelUpdatesTopic(), config.modelName(),
                Duration.ofSeconds(60));
    }

    /** Unbounded, from the group's committed offsets (earliest for a new group); read_committed. */
    public static KafkaSourceBuilder<RawRecord> eventsSource(TrainerConfig config) {
        return KafkaSource.<RawRecord>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setTopics(config.eventsTopic())
                .setGroupId(config.groupId())
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setProperty(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
                .setDeserializer(new RawRecordDeserializer());
    }
}
