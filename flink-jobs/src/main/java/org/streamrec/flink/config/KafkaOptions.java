package org.streamrec.flink.config;

import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code --bootstrap-servers}, declared once for every command that talks to Kafka (the jobs and the tools), mixed in
 * with picocli's {@code @Mixin}.
 *
 * <p>The default is the field's initial value rather than an annotation {@code defaultValue}, so that a command can
 * keep its own default by initialising its mixin field ({@code @Mixin KafkaOptions kafka = new KafkaOptions("...")};
 * picocli uses an initialised mixin instead of creating one). A value from a {@code --config} file still wins over it:
 * picocli asks the default provider first. The option is inherited by subcommands, so {@code control pin
 * --bootstrap-servers ...} works as well as {@code control --bootstrap-servers ... pin}.
 */
public final class KafkaOptions {

    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]", scope = ScopeType.INHERIT,
            description = "Kafka bootstrap servers (default: ${DEFAULT-VALUE}).")
    private String bootstrapServers;

    public KafkaOptions() {
        this(DEFAULT_BOOTSTRAP_SERVERS);
    }

    public KafkaOptions(String defaultBootstrapServers) {
        this.bootstrapServers = defaultBootstrapServers;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }
}
