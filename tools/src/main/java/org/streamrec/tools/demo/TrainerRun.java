package org.streamrec.tools.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.FileUtils;
import org.streamrec.flink.training.TrainerConfig;
import org.streamrec.flink.training.TrainerJob;

/**
 * The trainer job next to the serving job on the same local cluster: it reads the events topic from the start,
 * trains the bootstrap snapshot on, writes versions to a scratch model store and announces them on model-updates.
 *
 * @param job      the trainer's job id on {@code cluster}
 * @param scratch  model store and checkpoints, deleted by {@link #stop}
 */
public record TrainerRun(LocalFlinkCluster cluster, JobID job, TrainerConfig config, Path scratch) {

    /**
     * Submits the trainer and waits until its tasks run (the bootstrap snapshot loaded). {@code extraArgs} are
     * {@link TrainerConfig} flags on top of the topics, store and bootstrap model given here.
     */
    public static TrainerRun start(LocalFlinkCluster cluster, String bootstrapServers, String eventsTopic,
                                   String modelUpdatesTopic, String bootstrapModelUri, List<String> extraArgs)
            throws Exception {
        Path scratch = Files.createTempDirectory("streamrec-trainer-");
        List<String> args = new ArrayList<>(List.of(
                "--bootstrap-servers", bootstrapServers, "--events-topic", eventsTopic,
                "--model-updates-topic", modelUpdatesTopic,
                "--model-store", scratch.resolve("store").toUri().toString(),
                "--bootstrap-model", bootstrapModelUri,
                "--group-id", "streamrec-trainer-" + scratch.getFileName(),
                "--parallelism", "1"));
        args.addAll(extraArgs);
        TrainerConfig config = TrainerConfig.parse(args.toArray(String[]::new));
        Configuration flink = TrainerJob.flinkConfiguration(config);
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, scratch.resolve("checkpoints").toUri().toString());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        TrainerJob.onKafka(config).build(env);
        JobID job = cluster.submit(env, "streamrec-trainer");
        if (!cluster.awaitAllTasksRunning(job, Duration.ofSeconds(120))) {
            throw new IllegalStateException("the trainer job's tasks did not all reach RUNNING; job status "
                    + cluster.status(job));
        }
        return new TrainerRun(cluster, job, config, scratch);
    }

    /** Cancels the job and deletes the model store and checkpoints. */
    public void stop() throws Exception {
        try {
            cluster.cancel(job, Duration.ofSeconds(60));
        } finally {
            deleteRecursively(scratch);
        }
    }

    /**
     * Flink's {@code FileUtils.deleteDirectory}: it tolerates files that disappear while it walks, as the checkpoint
     * directories of a job that was just cancelled do while Flink cleans them up.
     */
    static void deleteRecursively(Path dir) throws IOException {
        FileUtils.deleteDirectory(dir.toFile());
    }
}
