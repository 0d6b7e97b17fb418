package org.streamrec.tools.demo;

import static org.streamrec.flink.kafka.Topics.EVENTS;
import static org.streamrec.flink.kafka.Topics.MODEL_UPDATES;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.streamrec.flink.serving.RecommenderConfig;
import org.streamrec.flink.serving.RecommenderJob;
import org.streamrec.tools.flink.FlinkRest;

/**
 * The demo's serving job on a local Flink cluster with its web UI and scratch directory (RocksDB, checkpoints), and
 * the trainer job next to it when it runs: starting them, reading the serving job's metrics and what the trainer
 * published, and stopping both.
 */
final class ServingRun {

    private static final Duration JOB_METRICS_WAIT = Duration.ofSeconds(10);

    private final LocalFlinkCluster cluster;
    private final JobID job;
    private final Path flinkDir;
    private final DemoLog log;
    private TrainerRun trainerRun;
    private ModelUpdatesMonitor modelUpdates;
    private Duration publishEvery;
    private boolean stopped;

    private ServingRun(LocalFlinkCluster cluster, JobID job, Path flinkDir, DemoLog log) {
        this.cluster = cluster;
        this.job = job;
        this.flinkDir = flinkDir;
        this.log = log;
    }

    /** Starts a local cluster with {@code slots} task slots and the serving job on it, and waits until it runs. */
    static ServingRun start(RecommenderConfig config, int webUiPort, int slots, DemoLog log) throws Exception {
        Path flinkDir = Files.createTempDirectory("streamrec-demo-flink-");
        Configuration flink = RecommenderJob.flinkConfiguration(config);
        flink.set(RocksDBOptions.LOCAL_DIRECTORIES, flinkDir.resolve("rocksdb").toString());
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, flinkDir.resolve("checkpoints").toUri().toString());
        LocalFlinkCluster cluster = LocalFlinkCluster.start(flink, webUiPort, slots);
        log.say("Flink cluster up, web UI at %s%s", cluster.webUi(),
                cluster.webUi().getPort() == webUiPort ? "" : " (port " + webUiPort + " was taken)");
        try {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
            RecommenderJob.onKafka(config, false).build(env);
            JobID job = cluster.submit(env, "streamrec-recommender (demo)");
            if (!cluster.awaitAllTasksRunning(job, Duration.ofSeconds(120))) {
                throw new IllegalStateException("the serving job's tasks did not all reach RUNNING; job status "
                        + cluster.status(job));
            }
            log.say("serving job %s running (all tasks, model loaded): parallelism %d, RocksDB state, exactly-once sinks"
                    + " committing at checkpoints every %,d ms", job, config.parallelism(), config.checkpointInterval().toMillis());
            return new ServingRun(cluster, job, flinkDir, log);
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
    }

    URI webUi() {
        return cluster.webUi();
    }

    JobStatus status() throws Exception {
        return cluster.status(job);
    }

    /** The trainer job on the serving job's cluster, from the same bootstrap snapshot, publishing to model-updates. */
    void startTrainer(String bootstrapServers, String modelUri, Duration publishEvery) throws Exception {
        this.publishEvery = publishEvery;
        modelUpdates = new ModelUpdatesMonitor(bootstrapServers, MODEL_UPDATES).start();
        String every = publishEvery.toMillis() + " ms";
        trainerRun = TrainerRun.start(cluster, bootstrapServers, EVENTS, MODEL_UPDATES, modelUri,
                List.of("--publish-every", every, "--checkpoint-interval", every));
        log.say("trainer job %s running: trains the bootstrap model on the replayed events, publishes a version every %,d ms"
                + " (at checkpoints) to '%s'", trainerRun.job(), publishEvery.toMillis(), MODEL_UPDATES);
    }

    /** What the trainer published and which versions answered on the output; null when the trainer did not run. */
    DemoReport.Training training(OutputMonitor monitor, long plannedEvents, long replayEndMillis, List<String> problems)
            throws InterruptedException {
        if (trainerRun == null) {
            return null;
        }
        // The trainer publishes at its checkpoints; give it time to publish a version trained on every replayed event.
        long deadline = System.nanoTime() + Math.max(30_000, 3 * publishEvery.toMillis()) * 1_000_000L;
        List<ModelUpdatesMonitor.Seen> announced = modelUpdates.seen();
        while ((announced.isEmpty() || announced.get(announced.size() - 1).metric("eventsConsumed") < plannedEvents)
                && System.nanoTime() < deadline) {
            Thread.sleep(200);
            announced = modelUpdates.seen();
        }
        DemoReport.Training t = new DemoReport.Training(announced.stream().map(ModelUpdatesMonitor.Seen::version).toList(),
                announced.isEmpty() ? 0 : (long) announced.get(announced.size() - 1).metric("eventsTrained"),
                announced.isEmpty() ? Double.NaN : announced.get(announced.size() - 1).metric("trainingLoss"),
                monitor.firstEmitMillisByModelVersion());
        if (announced.isEmpty()) {
            problems.add("the trainer published no model version");
        } else if (t.swapsSeen() == 0 && announced.get(0).receivedMillis() < replayEndMillis) {
            problems.add("version " + announced.get(0).version() + " was announced during the replay, but no"
                    + " recommendation carries a version above the bootstrap model's");
        }
        return t;
    }

    /** Stops the trainer job if it runs, then the serving job and the cluster; only the first call does anything. */
    void stop() throws Exception {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            if (trainerRun != null) {
                try {
                    trainerRun.stop();
                    log.say("trainer job stopped");
                } finally {
                    modelUpdates.close();
                }
            }
            JobStatus status = cluster.cancel(job, Duration.ofSeconds(60));
            log.say("serving job %s", status.name().toLowerCase());
        } finally {
            cluster.close();
            EmbeddedDemo.deleteRecursively(flinkDir);
            log.say("Flink cluster stopped");
        }
    }

    /**
     * The serving job's own counters and prequential accuracy, read through the REST API while it runs. The REST
     * endpoint serves metrics it fetched from the task managers a moment ago, so this polls until they show every
     * planned event (or a few seconds pass).
     */
    String jobMetrics(long expectedEvents, int k) {
        try {
            FlinkRest rest = cluster.rest();
            List<String> names = List.of("eventsIn", "recommendationsOut", "fallbackRecommendationsOut",
                    "prequentialPredictions", "prequentialHitRate", "prequentialMrr", "modelVersion",
                    "itemsScoredInFullShare");
            Map<Integer, Map<String, Double>> op = rest.operatorMetrics(job, RecommenderJob.SERVING_OPERATOR, names);
            long deadline = System.nanoTime() + JOB_METRICS_WAIT.toNanos();
            while (FlinkRest.sum(op, "recommendationsOut") < expectedEvents && System.nanoTime() < deadline) {
                Thread.sleep(250);
                op = rest.operatorMetrics(job, RecommenderJob.SERVING_OPERATOR, names);
            }
            Map<Integer, Map<String, Double>> decode = rest.operatorMetrics(job, "decode-and-validate", List.of("deadLetters"));
            return String.format("events in %,.0f, recommendations out %,.0f (%,.0f fallback), dead letters %,.0f,"
                            + " prequential HR@%d %.4f MRR@%d %.4f over %,.0f predictions, model version(s) %s,"
                            + " item scores computed in full %.1f%%",
                    FlinkRest.sum(op, "eventsIn"), FlinkRest.sum(op, "recommendationsOut"),
                    FlinkRest.sum(op, "fallbackRecommendationsOut"), FlinkRest.sum(decode, "deadLetters"),
                    k, FlinkRest.weightedMean(op, "prequentialHitRate", "prequentialPredictions"),
                    k, FlinkRest.weightedMean(op, "prequentialMrr", "prequentialPredictions"),
                    FlinkRest.sum(op, "prequentialPredictions"),
                    op.values().stream().map(m -> String.valueOf(m.getOrDefault("modelVersion", Double.NaN).longValue()))
                            .distinct().toList(),
                    // per subtask, since its current model loaded; their mean is enough for a glance
                    100 * op.values().stream().mapToDouble(m -> m.getOrDefault("itemsScoredInFullShare", Double.NaN))
                            .average().orElse(Double.NaN));
        } catch (Exception e) {
            return "unavailable (" + e + ")";
        }
    }
}
