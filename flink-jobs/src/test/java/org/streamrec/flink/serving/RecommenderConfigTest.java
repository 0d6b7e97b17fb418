package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import org.apache.flink.changelog.fs.FsStateChangelogOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.codec.ClickEventRules;
import org.streamrec.flink.io.DeadLetterBounds;

import picocli.CommandLine.ParameterException;

class RecommenderConfigTest {

    @TempDir
    Path dir;

    @Test
    void defaultsApplyWhenNothingElseIsGiven() {
        RecommenderConfig c = RecommenderConfig.parse("--model-uri", "file:///models/v1");
        assertThat(c.bootstrapServers()).isEqualTo("localhost:9092");
        assertThat(c.eventsTopic()).isEqualTo("events");
        assertThat(c.recommendationsTopic()).isEqualTo("recommendations");
        assertThat(c.dlqTopic()).isEqualTo("events.dlq");
        assertThat(c.modelUpdatesTopic()).isEqualTo("model-updates");
        assertThat(c.controlTopic()).isEqualTo("serving-control");
        assertThat(c.k()).isEqualTo(20);
        assertThat(c.sessionGap()).isEqualTo(Duration.ofMinutes(30));
        assertThat(c.maxSessionItems()).isEqualTo(50);
        assertThat(c.batchMaxSize()).isEqualTo(128);
        assertThat(c.batchMaxDelay()).isEqualTo(Duration.ofMillis(5));
        assertThat(c.deliveryGuarantee()).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(c.excludeSeen()).isFalse();
    }

    @Test
    void yamlFileOverridesDefaultsAndFlagsOverrideTheFile() throws Exception {
        Path file = dir.resolve("serving.yaml");
        Files.writeString(file, """
                bootstrap-servers: broker:9093
                k: 10
                session-gap: 10 min
                model-uri: file:///models/from-file
                delivery-guarantee: at-least-once
                """);
        RecommenderConfig c = RecommenderConfig.parse("--config", file.toString(), "--k", "5",
                "--model-uri", "file:///models/from-flag");
        assertThat(c.bootstrapServers()).isEqualTo("broker:9093");
        assertThat(c.sessionGap()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.deliveryGuarantee()).isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
        assertThat(c.k()).isEqualTo(5);
        assertThat(c.modelUri()).isEqualTo("file:///models/from-flag");
        assertThat(c.batchMaxSize()).isEqualTo(128);
    }

    @Test
    void propertiesFileWorksTheSameWay() throws Exception {
        Path file = dir.resolve("serving.properties");
        Files.writeString(file, "batch-max-size=64\nbatch-max-delay=2 ms\nmodel-uri=file:///m\nexclude-seen=true\n");
        RecommenderConfig c = RecommenderConfig.parse("-c", file.toString(), "--batch-max-delay=1 ms");
        assertThat(c.batchMaxSize()).isEqualTo(64);
        assertThat(c.batchMaxDelay()).isEqualTo(Duration.ofMillis(1));
        assertThat(c.excludeSeen()).isTrue();
        assertThat(RecommenderConfig.parse("-c", file.toString(), "--no-exclude-seen").excludeSeen()).isFalse();
    }

    @Test
    void unknownFileKeyIsAnErrorNotASilentDefault() throws Exception {
        Path file = dir.resolve("typo.yaml");
        Files.writeString(file, "sesion-gap: 5 min\nmodel-uri: file:///m\n");
        assertThatThrownBy(() -> RecommenderConfig.parse("--config", file.toString()))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("sesion-gap");
    }

    @Test
    void nestedYamlIsRejectedWithTheKey() throws Exception {
        Path file = dir.resolve("nested.yaml");
        Files.writeString(file, "topics:\n  events: e\n");
        assertThatThrownBy(() -> RecommenderConfig.parse("--config", file.toString()))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("'topics' must be a plain value");
    }

    @Test
    void validationNamesEveryBadSetting() {
        assertThatThrownBy(() -> RecommenderConfig.parse("--model-uri", "file:///m", "--k", "0",
                "--batch-max-size", "0", "--session-gap", "2 h", "--state-ttl", "1 h",
                "--dlq-topic", "events"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("--k must be at least 1")
                .hasMessageContaining("--batch-max-size must be at least 1")
                .hasMessageContaining("--state-ttl (1 h) must not be shorter than --session-gap (2 h)")
                .hasMessageContaining("topic 'events' is used for two purposes");
        assertThatThrownBy(() -> RecommenderConfig.parse("--model-uri", "file:///m", "--control-topic", "model-updates"))
                .hasMessageContaining("topic 'model-updates' is used for two purposes");
        assertThatThrownBy(() -> RecommenderConfig.parse("--model-uri", "file:///m", "--control-topic", " "))
                .hasMessageContaining("--control-topic is required");
    }

    @Test
    void modelUriIsRequired() {
        assertThatThrownBy(RecommenderConfig::parse)
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("--model-uri is required");
    }

    @Test
    void badDurationAndGuaranteeAreConversionErrors() {
        assertThatThrownBy(() -> RecommenderConfig.parse("--model-uri", "m", "--session-gap", "soon"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("'soon' is not a duration");
        assertThatThrownBy(() -> RecommenderConfig.parse("--model-uri", "m", "--delivery-guarantee", "none"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("'none' is not exactly-once or at-least-once");
    }

    @Test
    void rocksDbWriteBufferSizeReachesTheFlinkConfiguration() {
        RecommenderConfig defaults = RecommenderConfig.parse("--model-uri", "m");
        assertThat(defaults.rocksDbWriteBufferSize()).isEqualTo(MemorySize.ofMebiBytes(4));
        assertThat(RecommenderJob.flinkConfiguration(defaults).get(RocksDBConfigurableOptions.WRITE_BUFFER_SIZE))
                .isEqualTo(MemorySize.ofMebiBytes(4));

        RecommenderConfig larger = RecommenderConfig.parse("--model-uri", "m", "--rocksdb-write-buffer-size", "64 mb");
        assertThat(RecommenderJob.flinkConfiguration(larger).get(RocksDBConfigurableOptions.WRITE_BUFFER_SIZE))
                .isEqualTo(MemorySize.ofMebiBytes(64));

        assertThatThrownBy(() -> RecommenderConfig.parse("--model-uri", "m", "--rocksdb-write-buffer-size", "1 kb"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("--rocksdb-write-buffer-size must be at least 64 kb, was 1 kb");
        assertThatThrownBy(() -> RecommenderConfig.parse("--model-uri", "m", "--rocksdb-write-buffer-size", "big"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("'big' is not a memory size");
    }

    @Test
    void deadLetterPayloadCapDefaultsTo64KbAndMustFitKafkasDefaultRequestSize() {
        assertThat(RecommenderConfig.parse("--model-uri", "m").dlqMaxPayloadBytes())
                .isEqualTo(DeadLetterBounds.DEFAULT_MAX_PAYLOAD_BYTES).isEqualTo(64 * 1024);
        assertThat(RecommenderConfig.parse("--model-uri", "m", "--dlq-max-payload-bytes", "0").dlqMaxPayloadBytes())
                .isZero();
        assertThat(RecommenderConfig.parse("--model-uri", "m", "--dlq-max-payload-bytes", "1009 kb")
                .dlqMaxPayloadBytes()).isEqualTo(DeadLetterBounds.largestMaxPayloadBytes());
        assertThatThrownBy(() -> RecommenderConfig.parse("--model-uri", "m", "--dlq-max-payload-bytes", "1 mb"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("--dlq-max-payload-bytes must be at most " + DeadLetterBounds.largestMaxPayloadBytes());
    }

    @Test
    void lowPriorityCompactionIsTheDefaultOptionsFactoryAndCanBeTurnedOff() {
        Configuration defaults = RecommenderJob.flinkConfiguration(RecommenderConfig.parse("--model-uri", "m"));
        assertThat(defaults.get(RocksDBOptions.OPTIONS_FACTORY))
                .isEqualTo(LowPriorityCompactionOptionsFactory.class.getName());

        Configuration off = RecommenderJob.flinkConfiguration(
                RecommenderConfig.parse("--model-uri", "m", "--no-rocksdb-low-priority-compaction"));
        assertThat(off.contains(RocksDBOptions.OPTIONS_FACTORY)).isFalse();
    }

    @Test
    void stateChangelogKeepsTheClustersSettingUnlessGivenByFlagOrFile() throws Exception {
        Configuration defaults = RecommenderJob.flinkConfiguration(RecommenderConfig.parse("--model-uri", "m"));
        assertThat(defaults.contains(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG)).isFalse();

        Configuration on = RecommenderJob.flinkConfiguration(
                RecommenderConfig.parse("--model-uri", "m", "--state-changelog"));
        assertThat(on.get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG)).isTrue();
        Configuration off = RecommenderJob.flinkConfiguration(
                RecommenderConfig.parse("--model-uri", "m", "--no-state-changelog"));
        assertThat(off.contains(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG)).isTrue();
        assertThat(off.get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG)).isFalse();

        Path file = dir.resolve("changelog.yaml");
        Files.writeString(file, "model-uri: m\nstate-changelog: true\nrocksdb-low-priority-compaction: false\n");
        Configuration fromFile = RecommenderJob.flinkConfiguration(RecommenderConfig.parse("--config", file.toString()));
        assertThat(fromFile.get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG)).isTrue();
        assertThat(fromFile.contains(RocksDBOptions.OPTIONS_FACTORY)).isFalse();
        Configuration flagOverFile = RecommenderJob.flinkConfiguration(
                RecommenderConfig.parse("--config", file.toString(), "--no-state-changelog"));
        assertThat(flagOverFile.get(StateChangelogOptions.ENABLE_STATE_CHANGE_LOG)).isFalse();
        Configuration compactionFlagOverFile = RecommenderJob.flinkConfiguration(
                RecommenderConfig.parse("--config", file.toString(), "--rocksdb-low-priority-compaction"));
        assertThat(compactionFlagOverFile.get(RocksDBOptions.OPTIONS_FACTORY))
                .isEqualTo(LowPriorityCompactionOptionsFactory.class.getName());
    }

    @Test
    void fileChangelogStorageIsTheClustersFileSystemStorageUnderTheDirectory() {
        Configuration cluster = new Configuration();
        RecommenderJob.useFileChangelogStorage(cluster, dir.resolve("changelog"));
        assertThat(cluster.get(StateChangelogOptions.STATE_CHANGE_LOG_STORAGE)).isEqualTo("filesystem");
        assertThat(cluster.get(FsStateChangelogOptions.BASE_PATH)).isEqualTo(dir.resolve("changelog").toUri().toString());
        // below half of G1's smallest region (1 MB), where an array stops being humongous
        assertThat(cluster.get(FsStateChangelogOptions.UPLOAD_BUFFER_SIZE).getBytes())
                .isLessThan(MemorySize.parse("512kb").getBytes() - 64)
                .isLessThan(FsStateChangelogOptions.UPLOAD_BUFFER_SIZE.defaultValue().getBytes());
    }

    @Test
    void sinkLingerReachesBothSinkProducers() {
        RecommenderConfig defaults = RecommenderConfig.parse("--model-uri", "m");
        assertThat(defaults.sinkLinger()).isEqualTo(Duration.ZERO);
        assertThat(RecommenderJob.sinkProducerProperties(defaults))
                .containsEntry("linger.ms", "0")
                .containsEntry("transaction.timeout.ms", String.valueOf(Duration.ofMinutes(10).toMillis()));

        RecommenderConfig batched = RecommenderConfig.parse("--model-uri", "m", "--sink-linger", "20 ms");
        assertThat(RecommenderJob.sinkProducerProperties(batched)).containsEntry("linger.ms", "20");

        assertThatThrownBy(() -> RecommenderConfig.parse("--model-uri", "m", "--sink-linger", "-1 ms"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("'-1 ms' is not a duration");
    }

    @Test
    void scoreBoundRankDefaultsToTheModelsOwnAndIsSetByFlagOrFile() throws Exception {
        assertThat(RecommenderConfig.parse("--model-uri", "m").scoreBoundRank())
                .isEqualTo(SnapshotModelLoader.DEFAULT_SCORE_BOUND_RANK);
        assertThat(RecommenderConfig.parse("--model-uri", "m", "--score-bound-rank", "0").scoreBoundRank()).isZero();
        Path file = dir.resolve("pruning.yaml");
        Files.writeString(file, "model-uri: m\nscore-bound-rank: 40\n");
        assertThat(RecommenderConfig.parse("--config", file.toString()).scoreBoundRank()).isEqualTo(40);
        assertThatThrownBy(() -> RecommenderConfig.parse("--model-uri", "m", "--score-bound-rank", "-2"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("--score-bound-rank must not be negative");
    }

    @Test
    void eventTimeBoundsDefaultToTheDocumentedRulesAndCanBeChanged() {
        RecommenderConfig defaults = RecommenderConfig.parse("--model-uri", "m");
        assertThat(defaults.eventRules().earliestEventTime()).isEqualTo(ClickEventRules.DEFAULT_EARLIEST_EVENT_TIME);
        assertThat(defaults.eventRules().maxAhead()).isEqualTo(ClickEventRules.DEFAULT_MAX_AHEAD);
        RecommenderConfig changed = RecommenderConfig.parse("--model-uri", "m",
                "--earliest-event-time", "2020-01-01T00:00:00Z", "--max-event-time-ahead", "30 s");
        assertThat(changed.eventRules().earliestEventTime()).isEqualTo(Instant.parse("2020-01-01T00:00:00Z"));
        assertThat(changed.eventRules().maxAhead()).isEqualTo(Duration.ofSeconds(30));
        assertThat(defaults.eventRules().clockSkewTolerance()).isEqualTo(ClickEventRules.DEFAULT_CLOCK_SKEW_TOLERANCE);
        assertThat(RecommenderConfig.parse("--model-uri", "m", "--clock-skew-tolerance", "0 s").eventRules()
                .clockSkewTolerance()).isZero();
        assertThatThrownBy(() -> RecommenderConfig.parse("--model-uri", "m", "--clock-skew-tolerance", "PT-1M"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("--clock-skew-tolerance").hasMessageContaining("negative");
        assertThatThrownBy(() -> RecommenderConfig.parse("--model-uri", "m", "--earliest-event-time", "2020-01-01"))
                .isInstanceOf(ParameterException.class).hasMessageContaining("not an ISO-8601 instant");
    }

    @Test
    void exactlyOnceNeedsATransactionTimeoutAboveTheCheckpointInterval() {
        assertThatThrownBy(() -> RecommenderConfig.parse("--model-uri", "m", "--checkpoint-interval", "20 min"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("--transaction-timeout (10 min) must exceed --checkpoint-interval (20 min)");
        assertThat(RecommenderConfig.parse("--model-uri", "m", "--checkpoint-interval", "20 min",
                "--delivery-guarantee", "at-least-once").checkpointInterval()).isEqualTo(Duration.ofMinutes(20));
    }

    @Test
    void helpSkipsValidationAndListsEveryOptionWithItsDefault() {
        assertThat(RecommenderConfig.parse("--help").helpRequested()).isTrue();
        String usage = RecommenderConfig.commandLine(new RecommenderConfig()).getUsageMessage();
        assertThat(usage).contains("--session-gap", "default: 30 min", "--batch-max-delay", "default: 5 ms",
                "--delivery-guarantee", "default: exactly-once");
    }
}
