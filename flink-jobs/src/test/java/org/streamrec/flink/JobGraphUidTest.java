package org.streamrec.flink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;
import org.streamrec.flink.serving.RecommenderConfig;
import org.streamrec.flink.serving.RecommenderJob;
import org.streamrec.flink.training.TrainerConfig;
import org.streamrec.flink.training.TrainerJob;

/**
 * Savepoints map state to operators by uid. Both production graphs (Kafka wiring, with the control topic) must give
 * every operator an explicit uid, and the jobs' configuration must refuse generated ones, so that an operator added
 * later without a uid fails the build rather than an upgrade.
 */
class JobGraphUidTest {

    @Test
    void everyOperatorOfTheServingJobHasAnExplicitUid() {
        RecommenderConfig config = RecommenderConfig.parse("--model-uri", "file:///tmp/model");
        Configuration flink = RecommenderJob.flinkConfiguration(config);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        RecommenderJob.onKafka(config, true).build(env);

        assertExplicitUids(env.getStreamGraph(), "events-source", "model-updates-source", "serving-control-source",
                RecommenderJob.SERVING_OPERATOR);
    }

    @Test
    void everyOperatorOfTheTrainerJobHasAnExplicitUid() {
        TrainerConfig config = TrainerConfig.parse("--model-store", "file:///tmp/store");
        Configuration flink = TrainerJob.flinkConfiguration(config);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        TrainerJob.onKafka(config).build(env);

        assertExplicitUids(env.getStreamGraph(), "events-source", "gru4rec-trainer");
    }

    private static void assertExplicitUids(StreamGraph graph, String... expected) {
        // getStreamGraph() already throws when a uid is missing and generated uids are off; this also says which.
        List<String> missing = graph.getStreamNodes().stream()
                .filter(node -> node.getTransformationUID() == null)
                .map(StreamNode::getOperatorName).toList();
        assertThat(missing).as("operators without a uid").isEmpty();
        assertThat(graph.getStreamNodes()).extracting(StreamNode::getTransformationUID).contains(expected);
    }
}
