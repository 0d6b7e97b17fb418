package org.streamrec.flink.config;

import org.streamrec.flink.kafka.Topics;
import picocli.CommandLine.Option;

/**
 * The topic options, one small mixin per topic so that each command mixes in only the topics it uses (the trainer
 * has no recommendations topic, the dashboard no dead-letter topic) while names, defaults ({@link Topics}) and help
 * are declared once.
 */
public final class TopicOptions {

    private TopicOptions() {
    }

    public static final class Events {
        @Option(names = "--events-topic", defaultValue = Topics.EVENTS,
                description = "Input ClickEvents (default: ${DEFAULT-VALUE}).")
        private String topic;

        public String topic() {
            return topic;
        }
    }

    public static final class Recommendations {
        @Option(names = "--recommendations-topic", defaultValue = Topics.RECOMMENDATIONS,
                description = "Output Recommendations, key = user id (default: ${DEFAULT-VALUE}).")
        private String topic;

        public String topic() {
            return topic;
        }
    }

    public static final class DeadLetters {
        @Option(names = "--dlq-topic", defaultValue = Topics.DLQ,
                description = "Dead letters: input records that could not be decoded or validated (default: ${DEFAULT-VALUE}).")
        private String topic;

        public String topic() {
            return topic;
        }
    }

    public static final class ModelUpdates {
        @Option(names = "--model-updates-topic", defaultValue = Topics.MODEL_UPDATES,
                description = "Compacted topic of the ModelAnnouncements: the trainer publishes new model versions there, "
                        + "the serving job swaps to them (default: ${DEFAULT-VALUE}).")
        private String topic;

        public String topic() {
            return topic;
        }
    }

    public static final class Control {
        @Option(names = "--control-topic", defaultValue = Topics.SERVING_CONTROL,
                description = "ServingControl commands: pin/unpin a model version, delete a user's state; one partition "
                        + "(default: ${DEFAULT-VALUE}).")
        private String topic;

        public String topic() {
            return topic;
        }
    }
}
