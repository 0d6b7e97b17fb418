package org.streamrec.flink.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The topics of a streamrec deployment, with their partition counts and configs, in one place for the local
 * cluster scripts (deploy/local). The Kafka CLI tools are not used because {@code kafka-tools} is not a dependency
 * of the build and the Admin client does the same in a few lines.
 */
public final class Topics {

    public static final String EVENTS = "events";
    public static final String RECOMMENDATIONS = "recommendations";
    public static final String DLQ = "events.dlq";
    public static final String MODEL_UPDATES = "model-updates";
    /** Serving control commands (rollback pins, user deletion): one partition, so every command is seen in order. */
    public static final String SERVING_CONTROL = "serving-control";

    private Topics() {
    }

    /**
     * {@code events} and {@code recommendations} with {@code partitions} partitions (both keyed by user id);
     * the dead-letter, control and model topics with one; {@code model-updates} compacted, so a starting serving
     * job finds the newest announcement of each model name without reading the whole history.
     */
    public static List<NewTopic> definitions(int partitions) {
        return List.of(
                new NewTopic(EVENTS, partitions, (short) 1),
                new NewTopic(RECOMMENDATIONS, partitions, (short) 1),
                new NewTopic(DLQ, 1, (short) 1),
                new NewTopic(MODEL_UPDATES, 1, (short) 1)
                        .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                new NewTopic(SERVING_CONTROL, 1, (short) 1));
    }

    /** Creates the topics that do not exist yet; returns the names of those it created. */
    public static List<String> createMissing(Admin admin, int partitions) throws InterruptedException, ExecutionException {
        Set<String> existing = admin.listTopics().names().get();
        List<NewTopic> missing = new ArrayList<>();
        for (NewTopic topic : definitions(partitions)) {
            if (!existing.contains(topic.name())) {
                missing.add(topic);
            }
        }
        List<String> created = new ArrayList<>();
        for (Map.Entry<String, org.apache.kafka.common.KafkaFuture<Void>> result : admin.createTopics(missing).values().entrySet()) {
            try {
                result.getValue().get();
                created.add(result.getKey());
            } catch (ExecutionException e) {
                // Another process created it between the listing and the creation: that is what we wanted.
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        }
        return created;
    }
}
