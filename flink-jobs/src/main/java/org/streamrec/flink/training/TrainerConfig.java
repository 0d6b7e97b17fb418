package org.streamrec.flink.training;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.flink.util.TimeUtils;
import org.streamrec.model.Gru4RecParams;

import org.streamrec.flink.config.ConfigFile;
import org.streamrec.flink.config.DurationConverter;
import org.streamrec.flink.kafka.KafkaJobOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine;

/**
 * Everything the trainer job can be told, with its default. File handling is the serving job's
 * ({@link ConfigFile}): defaults &lt; {@code --config} file (flat YAML or properties, keys = long
 * option names, unknown keys rejected) &lt; flags.
 */
@Command(name = "trainer-job", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Incremental GRU4Rec training on Kafka events; publishes versioned snapshots on model-updates.")
public final class TrainerConfig {

    @Mixin
    private KafkaJobOptions kafka;

    @Option(names = "--model-name", defaultValue = "model",
            description = "Key of the announcements; compaction keeps the newest per key (default: ${DEFAULT-VALUE}).")
    private String modelName;

    @Option(names = "--group-id", defaultValue = "streamrec-trainer",
            description = "Kafka consumer group id (default: ${DEFAULT-VALUE}).")
    private String groupId;

    @Option(names = "--model-store", description = "Directory URI for snapshots (file://, s3://, hdfs://). Required.")
    private String modelStore;

    @Option(names = "--bootstrap-model",
            description = "Snapshot URI to start from; without it the model starts from scratch with --params.")
    private String bootstrapModel;

    @Option(names = "--params", description = "GRU4Rec parameter file, or a built-in name (rsc15-xe, diginetica-bprmax), "
            + "for a start from scratch (default: the built-in defaults).")
    private String params;

    @Option(names = {"-p", "--param"}, paramLabel = "KEY=VALUE",
            description = "Overrides one GRU4Rec parameter of --params (official key name); repeatable.")
    private Map<String, String> paramOverrides = new LinkedHashMap<>();

    @Option(names = "--publish-every-events", defaultValue = "10000",
            description = "Publish a version once this many events were trained since the last one (default: ${DEFAULT-VALUE}).")
    private long publishEveryEvents;

    @Option(names = "--publish-every", defaultValue = "15 s", converter = DurationConverter.class,
            description = "... or once this much time has passed, if any event was trained; checked at checkpoints "
                    + "(default: ${DEFAULT-VALUE}).")
    private Duration publishEvery;

    @Option(names = "--sampler-refresh-events", defaultValue = "1000",
            description = "Rebuild the negative sampler from popularity after this many trained events (default: ${DEFAULT-VALUE}).")
    private long samplerRefreshEvents;

    @Option(names = "--session-gap", defaultValue = "30 min", converter = DurationConverter.class,
            description = "Event-time inactivity that ends a session without a producer session id (default: ${DEFAULT-VALUE}).")
    private Duration sessionGap;

    @Option(names = "--checkpoint-interval", defaultValue = "15 s", converter = DurationConverter.class,
            description = "Checkpoint interval; snapshots are written and versions published at checkpoints "
                    + "(default: ${DEFAULT-VALUE}).")
    private Duration checkpointInterval;

    @Option(names = "--retained-checkpoint-snapshots", defaultValue = "3",
            description = "Checkpoint-only snapshots (checkpoints/chk-<id>) kept in the store, newest first; at least "
                    + "Flink's state.checkpoints.num-retained (default: ${DEFAULT-VALUE}).")
    private int retainedCheckpointSnapshots;

    @Option(names = "--retained-versions", defaultValue = "20",
            description = "Published versions (v<n>) kept in the store, newest first, for rollback; 0 keeps all "
                    + "(default: ${DEFAULT-VALUE}).")
    private int retainedVersions;

    @Option(names = "--parallelism", defaultValue = "-1",
            description = "Parallelism of source and decoding (the trainer itself always runs with 1); -1 keeps the "
                    + "cluster's default (default: ${DEFAULT-VALUE}).")
    private int parallelism;

    private boolean helpRequested;

    public boolean helpRequested() {
        return helpRequested;
    }

    public static TrainerConfig parse(String... args) {
        TrainerConfig config = new TrainerConfig();
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

    public static CommandLine commandLine(TrainerConfig config) {
        return new CommandLine(config);
    }

    void validate(CommandLine cmd) {
        List<String> errors = new ArrayList<>();
        for (String[] required : new String[][] {{"--bootstrap-servers", bootstrapServers()}, {"--events-topic", eventsTopic()},
                {"--model-updates-topic", modelUpdatesTopic()}, {"--model-name", modelName}, {"--group-id", groupId},
                {"--model-store", modelStore}}) {
            if (required[1] == null || required[1].isBlank()) {
                errors.add(required[0] + " is required");
            }
        }
        if (eventsTopic() != null && eventsTopic().equals(modelUpdatesTopic())) {
            errors.add("topic '" + eventsTopic() + "' is used for two purposes");
        }
        if (publishEveryEvents < 1) {
            errors.add("--publish-every-events must be at least 1, was " + publishEveryEvents);
        }
        if (samplerRefreshEvents < 1) {
            errors.add("--sampler-refresh-events must be at least 1, was " + samplerRefreshEvents);
        }
        for (Object[] d : new Object[][] {{"--publish-every", publishEvery}, {"--session-gap", sessionGap},
                {"--checkpoint-interval", checkpointInterval}}) {
            Duration value = (Duration) d[1];
            if (value.isZero() || value.isNegative()) {
                errors.add(d[0] + " must be positive, was " + TimeUtils.formatWithHighestUnit(value));
            }
        }
        if (retainedCheckpointSnapshots < 1) {
            errors.add("--retained-checkpoint-snapshots must be at least 1, was " + retainedCheckpointSnapshots);
        }
        if (retainedVersions < 0) {
            errors.add("--retained-versions must be 0 (all) or more, was " + retainedVersions);
        }
        if (parallelism == 0 || parallelism < -1) {
            errors.add("--parallelism must be positive or -1, was " + parallelism);
        }
        try {
            gru4recParams();
        } catch (RuntimeException e) {
            errors.add("--params/--param: " + e.getMessage());
        }
        if (!errors.isEmpty()) {
            throw new ParameterException(cmd, "Invalid configuration: " + String.join("; ", errors));
        }
    }

    /** The parameters of a start from scratch: {@code --params} (file or built-in name) with {@code -p} overrides. */
    public Gru4RecParams gru4recParams() {
        Gru4RecParams base;
        if (params == null) {
            base = Gru4RecParams.defaults();
        } else if (java.nio.file.Files.isRegularFile(Path.of(params))) {
            base = Gru4RecParams.load(Path.of(params));
        } else {
            base = Gru4RecParams.builtIn(params);
        }
        return base.withOverrides(paramOverrides);
    }

    /** The trainer operator's part. */
    public TrainerSettings settings() {
        return new TrainerSettings(modelStore, bootstrapModel, new LinkedHashMap<>(gru4recParams().toMap()),
                publishEveryEvents, publishEvery.toMillis(), samplerRefreshEvents, sessionGap.toMillis(),
                retainedCheckpointSnapshots, retainedVersions);
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String eventsTopic() {
        return kafka.eventsTopic();
    }

    public String modelUpdatesTopic() {
        return kafka.modelUpdatesTopic();
    }

    public String modelName() {
        return modelName;
    }

    public String groupId() {
        return groupId;
    }

    public String modelStore() {
        return modelStore;
    }

    public String bootstrapModel() {
        return bootstrapModel;
    }

    public long publishEveryEvents() {
        return publishEveryEvents;
    }

    public Duration publishEvery() {
        return publishEvery;
    }

    public Duration checkpointInterval() {
        return checkpointInterval;
    }

    public int parallelism() {
        return parallelism;
    }
}
