package org.streamrec.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.streamrec.flink.config.DurationConverter;
import org.streamrec.flink.config.KafkaOptions;
import org.streamrec.flink.config.TopicOptions;
import org.streamrec.flink.kafka.Topics;
import org.streamrec.flink.serving.RecommenderConfig;
import org.streamrec.flink.training.TrainerConfig;
import org.streamrec.tools.dashboard.Dashboard;
import org.streamrec.tools.demo.EmbeddedDemo;
import org.streamrec.tools.demo.TrainerBenchmark;
import org.streamrec.tools.loadtest.LoadTest;
import org.streamrec.tools.ops.AnnounceModel;
import org.streamrec.tools.ops.LocalOps;
import org.streamrec.tools.ops.ServingControlTool;
import org.streamrec.tools.replay.ReplayTool;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The commands of both modules declare the broker, the topics and their durations once: {@code --bootstrap-servers}
 * from {@link KafkaOptions}, the topics from {@link TopicOptions} with {@link Topics} defaults, and every duration
 * through {@link DurationConverter}.
 */
class CommandOptionsTest {

    /** Every command (and subcommand) that talks to Kafka, by name, with its default broker. */
    private static final Map<String, String> KAFKA_COMMANDS = Map.of(
            "recommender-job", "localhost:9092",
            "trainer-job", "localhost:9092",
            "dashboard", "127.0.0.1:9092",
            "replay", "127.0.0.1:9092",
            "announce-model", "localhost:9092",
            "control", "localhost:9092",
            "local-ops create-topics", "localhost:9092",
            "local-ops status", "localhost:9092",
            "local-ops check", "localhost:9092");

    /** All commands of both modules, subcommands included, by qualified name. */
    private static Map<String, CommandSpec> allCommands() {
        List<CommandLine> roots = List.of(RecommenderConfig.commandLine(new RecommenderConfig()),
                TrainerConfig.commandLine(new TrainerConfig()), new CommandLine(new Dashboard()), ReplayTool.commandLine(),
                new CommandLine(new AnnounceModel()), new CommandLine(new ServingControlTool()), new CommandLine(new LocalOps()),
                EmbeddedDemo.commandLine(), new CommandLine(LoadTest.class), new CommandLine(TrainerBenchmark.class));
        Map<String, CommandSpec> commands = new java.util.TreeMap<>();
        List<CommandLine> todo = new ArrayList<>(roots);
        while (!todo.isEmpty()) {
            CommandLine cmd = todo.remove(0);
            commands.put(cmd.getCommandSpec().qualifiedName(), cmd.getCommandSpec());
            todo.addAll(cmd.getSubcommands().values());
        }
        return commands;
    }

    private static Class<?> declaringClass(OptionSpec option) {
        return option.userObject() instanceof Field field ? field.getDeclaringClass() : null;
    }

    @Test
    void everyCommandThatTalksToKafkaTakesBootstrapServersFromTheSharedMixinWithItsFormerDefault() {
        Map<String, CommandSpec> commands = allCommands();
        assertThat(commands).containsKeys(KAFKA_COMMANDS.keySet().toArray(String[]::new));
        KAFKA_COMMANDS.forEach((name, defaultServers) -> {
            OptionSpec option = commands.get(name).findOption("--bootstrap-servers");
            assertThat(option).as(name).isNotNull();
            assertThat(declaringClass(option)).as(name).isEqualTo(KafkaOptions.class);
            assertThat(option.defaultValueString()).as(name).isEqualTo(defaultServers);
        });
        commands.forEach((name, spec) -> {
            OptionSpec option = spec.findOption("--bootstrap-servers");
            if (option != null) {
                assertThat(declaringClass(option)).as(name + ": a --bootstrap-servers of its own").isEqualTo(KafkaOptions.class);
            }
        });
    }

    @Test
    void subcommandsShareTheParentsBroker() throws Exception {
        CommandLine control = new CommandLine(new ServingControlTool());
        control.parseArgs("pin", "--version", "3", "--bootstrap-servers", "broker:9093");
        assertThat(control.getCommandSpec().findOption("--bootstrap-servers").<String>getValue()).isEqualTo("broker:9093");
    }

    @Test
    void topicOptionsComeFromTheMixinsWithTheTopicsDefaults() {
        Map<String, String> defaults = Map.of("--events-topic", Topics.EVENTS, "--recommendations-topic",
                Topics.RECOMMENDATIONS, "--dlq-topic", Topics.DLQ, "--model-updates-topic", Topics.MODEL_UPDATES,
                "--control-topic", Topics.SERVING_CONTROL);
        allCommands().forEach((name, spec) -> defaults.forEach((option, topic) -> {
            OptionSpec declared = spec.findOption(option);
            if (declared != null) {
                assertThat(declaringClass(declared).getEnclosingClass()).as(name + " " + option).isEqualTo(TopicOptions.class);
                assertThat(declared.defaultValue()).as(name + " " + option).isEqualTo(topic);
            }
        }));
        assertThat(allCommands().get("recommender-job").findOption("--dlq-topic")).isNotNull();
        assertThat(allCommands().get("dashboard").findOption("--events-topic")).isNotNull();
    }

    @Test
    void everyDurationOptionReadsTheOneSyntax() {
        List<String> durations = new ArrayList<>();
        allCommands().forEach((name, spec) -> {
            for (OptionSpec option : spec.options()) {
                if (option.type() == Duration.class || option.auxiliaryTypes()[0] == Duration.class) {
                    durations.add(name + " " + option.longestName());
                    assertThat(option.converters()).as(name + " " + option.longestName())
                            .hasAtLeastOneElementOfType(DurationConverter.class);
                }
            }
        });
        assertThat(durations).contains("recommender-job --session-gap", "trainer-job --session-gap",
                "dashboard --session-gap", "replay --progress-interval", "loadtest --duration", "demo --publish-every",
                "local-ops wait-jobs --timeout");
    }

    @Test
    void bothFormerSpellingsWorkForTheJobsAndTheTools() {
        assertThat(RecommenderConfig.parse("--model-uri", "m", "--session-gap", "10m").sessionGap())
                .isEqualTo(Duration.ofMinutes(10));
        CommandLine dashboard = new CommandLine(new Dashboard());
        dashboard.parseArgs("--session-gap", "10 min");
        assertThat(dashboard.getCommandSpec().findOption("--session-gap").<Duration>getValue()).isEqualTo(Duration.ofMinutes(10));
    }
}
