package org.streamrec.flink.serving;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.state.rocksdb.RocksDBOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.streamrec.tools.flink.FlinkRest;

/** Job configuration shared by the fault tests: the job's own Flink settings plus restarts and local directories. */
final class FaultEnvironments {

    private FaultEnvironments() {
    }

    /**
     * {@link RecommenderJob#flinkConfiguration} with checkpoints and RocksDB under {@code dir} and a restart
     * strategy that keeps retrying through an outage of a few seconds (1 s apart, 50 attempts), then {@code extra}.
     */
    static Configuration jobConfiguration(RecommenderConfig config, Path dir, Configuration extra) {
        Configuration flink = RecommenderJob.flinkConfiguration(config);
        flink.set(RocksDBOptions.LOCAL_DIRECTORIES, dir.resolve("rocksdb").toString());
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.resolve("checkpoints").toUri().toString());
        flink.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        flink.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 50);
        flink.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(1));
        flink.addAll(extra);
        return flink;
    }

    /** An environment on the test's MiniCluster ({@code MiniClusterExtension} makes it the context environment). */
    static StreamExecutionEnvironment miniCluster(RecommenderConfig config, Path dir, Configuration extra) {
        return StreamExecutionEnvironment.getExecutionEnvironment(jobConfiguration(config, dir, extra));
    }

    /**
     * How many times the job failed (and was restarted), from the REST API's exception history; "?" when it
     * cannot be read. Read before the job is cancelled.
     */
    static String jobFailures(URI restAddress, JobID job) {
        try (FlinkRest rest = new FlinkRest(restAddress)) {
            return String.valueOf(rest.failures(job, 1000));
        } catch (IOException | RuntimeException e) {
            return "?";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }
}
