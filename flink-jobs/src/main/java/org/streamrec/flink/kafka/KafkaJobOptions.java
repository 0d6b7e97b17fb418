package org.streamrec.flink.kafka;

import java.nio.file.Path;

import org.streamrec.flink.config.KafkaOptions;
import org.streamrec.flink.config.TopicOptions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options both jobs share (the configuration file, the broker and the two topics that connect them), mixed into
 * {@code RecommenderConfig} and {@code TrainerConfig} with picocli's {@code @Mixin} so that names, defaults and help
 * cannot drift between the jobs. The broker and topic options are the tools' too ({@link KafkaOptions},
 * {@link TopicOptions}). Options whose defaults differ per job (e.g. {@code --group-id}) stay in each job.
 */
public final class KafkaJobOptions {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "YAML (.yaml/.yml) or .properties file; flags given on the command line override it.")
    private Path configFile;

    @Mixin
    private KafkaOptions kafka;

    @Mixin
    private TopicOptions.Events events;

    @Mixin
    private TopicOptions.ModelUpdates modelUpdates;

    public Path configFile() {
        return configFile;
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public String eventsTopic() {
        return events.topic();
    }

    public String modelUpdatesTopic() {
        return modelUpdates.topic();
    }
}
