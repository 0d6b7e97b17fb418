package org.streamrec.flink.kafka;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options both jobs share (the configuration file, the broker and the two topics that connect them), mixed into
 * {@code RecommenderConfig} and {@code TrainerConfig} with picocli's {@code @Mixin} so that names, defaults and help
 * cannot drift between the jobs. Options whose defaults differ per job (e.g. {@code --group-id}) stay in each job.
 */
public final class KafkaJobOptions {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
            description = "YAML (.yaml/.yml) or .properties file; flags given on the command line override it.")
    private Path configFile;

    @Option(names = "--bootstrap-servers", defaultValue = "localhost:9092",
            description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    private String bootstrapServers;

    @Option(names = "--events-topic", defaultValue = "events", description = "Input ClickEvents (default: ${DEFAULT-VALUE}).")
    private String eventsTopic;

    @Option(names = "--model-updates-topic", defaultValue = "model-updates",
            description = "Compacted topic of the ModelAnnouncements: the trainer publishes new model versions there, "
                    + "the serving job swaps to them (default: ${DEFAULT-VALUE}).")
    private String modelUpdatesTopic;

    public Path configFile() {
        return configFile;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String eventsTopic() {
        return eventsTopic;
    }

    public String modelUpdatesTopic() {
        return modelUpdatesTopic;
    }
}
