package org.streamrec.flink.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateChangelogOptions;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.streamrec.avro.Recommendation;
import org.streamrec.tools.cluster.StandaloneFlinkCluster;
import org.streamrec.tools.kafka.KafkaBrokerExtension;

/**
 * The TaskManager running the whole serving job is killed with SIGKILL while events are arriving: no shutdown hook,
 * no final checkpoint, open Kafka transactions left behind. A fresh TaskManager JVM joins, the JobManager restarts
 * the job from its last completed checkpoint, and the committed (read_committed) output still holds every event
 * exactly once, in per-user order; under at-least-once nothing is missing and the replayed events' answers come
 * twice (counted and printed). Real processes: a standalone JobManager and TaskManagers forked as JVMs
 * ({@link StandaloneFlinkCluster}), a real KRaft broker, RocksDB, exactly-once Kafka sinks.
 */
@Tag("e2e")
class TaskManagerKillIT {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @Test
    void exactlyOnceOutputSurvivesSigkillOfTheTaskManager(@TempDir Path dir) throws Exception {
        FaultScenario sc = new FaultScenario(KAFKA, "tm-kill", 10, 150, "--checkpoint-interval", "500 ms");
        List<Recommendation> recs = runWithTaskManagerKill(sc, dir);
        OutputCounts counts = sc.count("exactly-once after TaskManager SIGKILL", recs);
        assertThat(counts.missing()).as("missing").isZero();
        assertThat(counts.duplicated()).as("duplicated").isZero();
        assertThat(counts.unexpected()).as("unexpected").isZero();
        assertThat(FaultScenario.outputOrderByUser(recs)).isEqualTo(sc.inputOrderByUser());
    }

    /** At-least-once: the events after the restored checkpoint were already written once; they are written again. */
    @Test
    void atLeastOnceLosesNothingAfterSigkillAndReportsDuplicates(@TempDir Path dir) throws Exception {
        FaultScenario sc = new FaultScenario(KAFKA, "tm-kill-alo", 10, 150, "--checkpoint-interval", "500 ms",
                "--delivery-guarantee", "at-least-once");
        List<Recommendation> recs = runWithTaskManagerKill(sc, dir);
        OutputCounts counts = sc.count("at-least-once after TaskManager SIGKILL", recs);
        assertThat(counts.missing()).as("missing").isZero();
        assertThat(counts.unexpected()).as("unexpected").isZero();
        assertThat(counts.total()).isEqualTo(counts.expected() + counts.duplicated());
    }

    /**
     * {@code --state-changelog}: the restored state is the last materialized RocksDB snapshot plus the state changes
     * logged after it, read back from the cluster's file storage. The kill comes after every subtask has materialized
     * once (every 500 ms here, Flink's default is 10 min), while events are being logged, so the restore needs both.
     */
    @Test
    void exactlyOnceOutputSurvivesSigkillWithTheChangelogStateBackend(@TempDir Path dir) throws Exception {
        FaultScenario sc = new FaultScenario(KAFKA, "tm-kill-changelog", 10, 150, "--checkpoint-interval", "500 ms",
                "--state-changelog");
        Configuration cluster = new Configuration();
        Path changelog = dir.resolve("changelog");
        RecommenderJob.useFileChangelogStorage(cluster, changelog);
        Configuration job = new Configuration();
        job.set(StateChangelogOptions.PERIODIC_MATERIALIZATION_INTERVAL, Duration.ofMillis(500));
        // Sampled while the job runs: each materialization truncates the log, and cancelling the job discards it.
        AtomicLong mostChangeFiles = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try (Stream<Path> files = Files.walk(changelog)) {
                    mostChangeFiles.accumulateAndGet(files.filter(Files::isRegularFile).count(), Math::max);
                } catch (IOException | UncheckedIOException e) {
                    // Not created yet, or a file deleted while walking: the next sample counts again.
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "changelog-files");
        sampler.start();
        List<Recommendation> recs;
        try {
            recs = runWithTaskManagerKill(sc, dir, cluster.toMap(), job,
                    (flink, jobId) -> awaitMaterialization(flink, jobId, sc.config.parallelism()));
        } finally {
            sampler.interrupt();
            sampler.join();
        }
        OutputCounts counts = sc.count("exactly-once with the changelog after TaskManager SIGKILL", recs);
        assertThat(counts.missing()).as("missing").isZero();
        assertThat(counts.duplicated()).as("duplicated").isZero();
        assertThat(counts.unexpected()).as("unexpected").isZero();
        assertThat(FaultScenario.outputOrderByUser(recs)).isEqualTo(sc.inputOrderByUser());
        assertThat(mostChangeFiles.get()).as("state-change files in the changelog storage").isPositive();
    }

    private static List<Recommendation> runWithTaskManagerKill(FaultScenario sc, Path dir) throws Exception {
        return runWithTaskManagerKill(sc, dir, Map.of(), new Configuration(), (cluster, jobId) -> { });
    }

    /** {@code beforeMoreEvents} runs once the first third of the events is answered, before the rest is sent. */
    private static List<Recommendation> runWithTaskManagerKill(FaultScenario sc, Path dir, Map<String, String> clusterSettings,
                                                               Configuration extraJobSettings, JobCheck beforeMoreEvents)
            throws Exception {
        Configuration job = FaultEnvironments.jobConfiguration(sc.config, dir, extraJobSettings);
        // RocksDB's working directories belong to the TaskManager (its io.tmp.dirs), not to the test.
        job.removeConfig(RocksDBOptions.LOCAL_DIRECTORIES);
        try (StandaloneFlinkCluster cluster = StandaloneFlinkCluster.start(dir.resolve("cluster"), 1, clusterSettings)) {
            StreamExecutionEnvironment env = cluster.remoteEnvironment(job);
            sc.job().build(env);
            JobClient client = env.executeAsync(sc.name);
            String jobId = client.getJobID().toHexString();
            try {
                int third = sc.records.size() / 3;
                sc.produce(0, third);
                sc.awaitCommittedOutput(1, Duration.ofSeconds(120));
                beforeMoreEvents.run(cluster, jobId);
                long checkpointsBefore = completedCheckpoints(cluster, jobId);

                CompletableFuture<Void> arriving = sc.produceInBackground(third, 2 * third);
                Thread.sleep(1_000);
                Process victim = cluster.taskManagers().get(0);
                long killedAt = System.nanoTime();
                cluster.killTaskManager(victim);
                System.out.printf("[fault-counts] %s: SIGKILLed TaskManager pid %d after %d completed checkpoints%n",
                        sc.name, victim.pid(), checkpointsBefore);
                cluster.startTaskManager();
                arriving.get(120, TimeUnit.SECONDS);
                sc.produce(2 * third, sc.records.size());

                List<Recommendation> recs = sc.committedRecommendations(Duration.ofSeconds(180));
                long recoveredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                OptionalLong restored = cluster.rest().restoredCheckpoint(JobID.fromHexString(jobId));
                int failures = cluster.rest().failures(JobID.fromHexString(jobId), 1000);
                System.out.printf("[fault-counts] %s: job failures %d, restored from checkpoint %s; all output "
                        + "committed %d ms after the kill%n", sc.name, failures,
                        restored.isPresent() ? String.valueOf(restored.getAsLong()) : "?", recoveredMs);
                assertThat(restored.isEmpty())
                        .as("the job restored from a checkpoint after the kill").isFalse();
                return recs;
            } finally {
                client.cancel().get(60, TimeUnit.SECONDS);
            }
        }
    }

    @FunctionalInterface
    private interface JobCheck {
        void run(StandaloneFlinkCluster cluster, String jobId) throws Exception;
    }

    /** Waits until each of the serving operator's {@code subtasks} has completed a materialization (its metric). */
    private static void awaitMaterialization(StandaloneFlinkCluster cluster, String jobId, int subtasks) throws Exception {
        String completed = "ChangelogMaterialization_completedMaterialization";
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Map<Integer, Map<String, Double>> values = Map.of();
        while (System.nanoTime() < deadline) {
            values = cluster.rest().operatorMetrics(JobID.fromHexString(jobId), RecommenderJob.SERVING_OPERATOR, List.of(completed));
            if (values.size() == subtasks && values.values().stream().allMatch(m -> m.getOrDefault(completed, 0.0) >= 1)) {
                System.out.printf("[fault-counts] every subtask materialized its state at least once%n");
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no materialization of every subtask within 60 s: " + values);
    }

    private static long completedCheckpoints(StandaloneFlinkCluster cluster, String jobId) {
        try {
            return cluster.rest().completedCheckpointCount(JobID.fromHexString(jobId));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
