package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.Recommendation;
import org.streamrec.flink.cluster.StandaloneFlinkCluster;
import org.streamrec.flink.kafka.KafkaBrokerExtension;

/**
 * The TaskManager running the whole serving job is killed with SIGKILL while events are arriving: no shutdown hook,
 * no final checkpoint, open Kafka transactions left behind. A fresh TaskManager JVM joins, the JobManager restarts
 * the job from its last completed checkpoint, and the committed (read_committed) output still holds every event
 * exactly once, in per-user order. Real processes: a standalone JobManager and TaskManagers forked as JVMs
 * ({@link StandaloneFlinkCluster}), a real KRaft broker, RocksDB, exactly-once Kafka sinks.
 */
@Tag("e2e")
class TaskManagerKillIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void exactlyOnceOutputSurvivesSigkillOfTheTaskManager(@TempDir Path dir) throws Exception {
        FaultScenario sc = new FaultScenario(KAFKA, "tm-kill", 10, 150, "--checkpoint-interval", "500 ms");
        Configuration job = RecommenderJob.flinkConfiguration(sc.config);
        job.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.resolve("checkpoints").toUri().toString());
        job.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        job.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 50);
        job.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));

        try (StandaloneFlinkCluster cluster = StandaloneFlinkCluster.start(dir.resolve("cluster"), 1, Map.of())) {
            StreamExecutionEnvironment env = cluster.remoteEnvironment(job);
            sc.job().build(env);
            JobClient client = env.executeAsync("tm-kill-it");
            String jobId = client.getJobID().toHexString();
            try {
                int third = sc.records.size() / 3;
                sc.produce(0, third);
                sc.awaitCommittedOutput(1, Duration.ofSeconds(120));
                long checkpointsBefore = completedCheckpoints(cluster, jobId);

                CompletableFuture<Void> arriving = sc.produceInBackground(third, 2 * third);
                Thread.sleep(1_000);
                Process victim = cluster.taskManagers().get(0);
                long killedAt = System.nanoTime();
                cluster.killTaskManager(victim);
                System.out.printf("[fault-counts] tm-kill: SIGKILLed TaskManager pid %d after %d completed checkpoints%n",
                        victim.pid(), checkpointsBefore);
                cluster.startTaskManager();
                arriving.get(120, TimeUnit.SECONDS);
                sc.produce(2 * third, sc.records.size());

                List<Recommendation> recs = sc.committedRecommendations(Duration.ofSeconds(180));
                long recoveredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                OutputCounts counts = sc.count("exactly-once after TaskManager SIGKILL", recs);
                JsonNode restored = cluster.rest("/jobs/" + jobId + "/checkpoints").path("latest").path("restored");
                int failures = FaultEnvironments.failures(cluster.rest("/jobs/" + jobId + "/exceptions?maxExceptions=1000"));
                System.out.printf("[fault-counts] tm-kill: job failures %d, restored from checkpoint %s; all output "
                        + "committed %d ms after the kill%n", failures, restored.path("id").asText("?"), recoveredMs);

                assertThat(counts.missing()).as("missing").isZero();
                assertThat(counts.duplicated()).as("duplicated").isZero();
                assertThat(counts.unexpected()).as("unexpected").isZero();
                assertThat(FaultScenario.outputOrderByUser(recs)).isEqualTo(sc.inputOrderByUser());
                assertThat(restored.isMissingNode() || restored.isNull())
                        .as("the job restored from a checkpoint after the kill").isFalse();
            } finally {
                client.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }

    private static long completedCheckpoints(StandaloneFlinkCluster cluster, String jobId) {
        return cluster.rest("/jobs/" + jobId + "/checkpoints").path("counts").path("completed").asLong();
    }
}
