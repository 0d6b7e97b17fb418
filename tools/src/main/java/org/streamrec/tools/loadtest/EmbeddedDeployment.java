package org.streamrec.tools.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.streamrec.flink.kafka.Topics;
import org.streamrec.tools.demo.LocalFlinkCluster;
import org.streamrec.tools.kafka.EmbeddedKafka;
import org.streamrec.flink.serving.RecommenderConfig;
import org.streamrec.flink.serving.RecommenderJob;

/**
 * Everything in this JVM: an {@link EmbeddedKafka} broker (with the {@code model-updates} topic) and a
 * {@link LocalFlinkCluster} (MiniCluster, RocksDB, checkpoints and the changelog storage of {@code --state-changelog} in
 * a temporary directory) with {@code slots} task slots. The serving job is built here from the same
 * flags the standalone cluster's job gets.
 */
final class EmbeddedDeployment implements Deployment {

    /**
     * Managed memory of the embedded TaskManager (RocksDB's memtables and block cache), about what deploy/local's
     * 2,560 MB TaskManager process gets (819 MB, 40% of its Flink memory).
     */
    private static final MemorySize EMBEDDED_MANAGED_MEMORY = MemorySize.parse("800m");

    /** Completed checkpoints the JobManager keeps for its REST API; deploy/local's up.sh sets the same. */
    static final int CHECKPOINT_HISTORY = 100;

    private final EmbeddedKafka kafka;
    private final Path flinkDir;
    private final Configuration flink;
    private final LocalFlinkCluster cluster;

    /**
     * {@code clusterFlags}: job flags whose Flink settings (checkpoint interval, buffer timeout) the cluster takes;
     * {@code extraFlinkConf}: Flink configuration set on top of those (the load test's {@code --flink-conf}).
     */
    EmbeddedDeployment(int slots, List<String> clusterFlags, Map<String, String> extraFlinkConf) throws Exception {
        kafka = EmbeddedKafka.start();
        try {
            // What deploy/local's up.sh creates: the jobs read model announcements from it (none in the load test).
            kafka.createTopic(Topics.MODEL_UPDATES, 1, Map.of("cleanup.policy", "compact"));
            flinkDir = Files.createTempDirectory("streamrec-loadtest-flink-");
            flink = RecommenderJob.flinkConfiguration(RecommenderConfig.parse(clusterFlags.toArray(String[]::new)));
            flink.set(RocksDBOptions.LOCAL_DIRECTORIES, flinkDir.resolve("rocksdb").toString());
            flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, flinkDir.resolve("checkpoints").toUri().toString());
            RecommenderJob.useFileChangelogStorage(flink, flinkDir.resolve("changelog"));
            // A MiniCluster's TaskManager gets 128 MB of managed memory unless told otherwise, which RocksDB shares
            // between memtables and block cache. Once the growing session state outgrew that cache, every state read
            // after a compaction decompressed its block again, and the load test measured stalls of 1-16 s in
            // 180 s steps (BENCHMARKS.md); deploy/local's TaskManager has about this much for its two slots.
            flink.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, EMBEDDED_MANAGED_MEMORY);
            // Every checkpoint of a 1 s exactly-once step stays readable for the step's checkpoint statistics.
            flink.set(WebOptions.CHECKPOINTS_HISTORY_SIZE, CHECKPOINT_HISTORY);
            extraFlinkConf.forEach(flink::setString);
            cluster = LocalFlinkCluster.start(flink, 0, slots);
        } catch (Exception e) {
            kafka.close();
            throw e;
        }
    }

    @Override
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    @Override
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        kafka.createTopic(name, partitions, configs);
    }

    @Override
    public Job submitServingJob(List<String> jobArgs, String name) throws Exception {
        RecommenderConfig config = RecommenderConfig.parse(jobArgs.toArray(String[]::new));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        RecommenderJob.onKafka(config, false).build(env);
        JobID id = cluster.submit(env, name);
        return new Job() {
            @Override
            public String id() {
                return id.toString();
            }

            @Override
            public boolean awaitAllTasksRunning(Duration timeout) throws Exception {
                return cluster.awaitAllTasksRunning(id, timeout);
            }

            @Override
            public boolean ended() throws Exception {
                return cluster.status(id).isGloballyTerminalState();
            }

            @Override
            public String status() throws Exception {
                return cluster.status(id).toString();
            }

            @Override
            public void cancel(Duration timeout) throws Exception {
                cluster.cancel(id, timeout);
            }
        };
    }

    @Override
    public Map<String, Long> processes() {
        return Map.of("harness", ProcessHandle.current().pid());
    }

    @Override
    public String webUi() {
        return cluster.webUi().toString();
    }

    @Override
    public void close() throws Exception {
        try {
            cluster.close();
        } finally {
            try {
                kafka.close();
            } finally {
                deleteRecursively(flinkDir);
            }
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
