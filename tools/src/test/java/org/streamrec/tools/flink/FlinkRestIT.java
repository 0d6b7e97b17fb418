package org.streamrec.tools.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.junit.jupiter.api.Test;
import org.streamrec.tools.demo.LocalFlinkCluster;

/**
 * The tools' REST client against a real MiniCluster's REST endpoint ({@link LocalFlinkCluster}): every call the demo,
 * the dashboard, the load test and the ops CLIs make.
 */
class FlinkRestIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    /** Counts what it maps and reports a constant gauge, both read back through the REST API. */
    static final class CountingMap extends RichMapFunction<Long, Long> {
        private transient Counter mapped;
        private final double half = 0.5;

        @Override
        public void open(OpenContext context) {
            mapped = getRuntimeContext().getMetricGroup().counter("mapped");
            // A gauge reading a field: one object per subtask (Flink's metric query service keys metrics by object).
            getRuntimeContext().getMetricGroup().gauge("half", () -> half);
        }

        @Override
        public Long map(Long value) {
            mapped.inc();
            return value;
        }
    }

    @Test
    void readsJobsMetricsAndCheckpointsAndCancelsThroughTheRestApi() throws Exception {
        try (LocalFlinkCluster cluster = LocalFlinkCluster.start(new Configuration(), 0, 2);
             FlinkRest rest = new FlinkRest(cluster.webUi())) {
            assertThat(rest.address()).isEqualTo(cluster.webUi());
            assertThat(rest.slots()).isEqualTo(new FlinkRest.Slots(1, 2, 2));
            assertThat(rest.taskManagerIds()).hasSize(1);

            StreamExecutionEnvironment endless = StreamExecutionEnvironment.getExecutionEnvironment();
            endless.setParallelism(2);
            // Only checkpoints on request: the periodic interval is far beyond the test.
            endless.enableCheckpointing(Duration.ofHours(1).toMillis());
            endless.fromSequence(1, Long.MAX_VALUE).map(new CountingMap())
                    .name("counting").sinkTo(new DiscardingSink<>());
            JobID job = cluster.submit(endless, "endless");
            assertThat(cluster.awaitAllTasksRunning(job, WAIT)).isTrue();

            assertThat(rest.status(job)).isEqualTo(JobStatus.RUNNING);
            assertThat(rest.allTasksRunning(job)).isTrue();
            assertThat(rest.details(job).getName()).isEqualTo("endless");
            assertThat(rest.jobs()).singleElement().satisfies(j -> {
                assertThat(j.id()).isEqualTo(job);
                assertThat(j.name()).isEqualTo("endless");
                assertThat(j.state()).isEqualTo(JobStatus.RUNNING);
                assertThat(j.fullyRunning()).isTrue();
                assertThat(j.tasksTotal()).isEqualTo(j.tasksRunning()).isPositive();
            });
            assertThat(rest.newestRunningJobWith("counting")).contains(job);
            assertThat(rest.newestRunningJobWith("no-such-operator")).isEmpty();
            assertThat(rest.slots()).isEqualTo(new FlinkRest.Slots(1, 0, 2));

            // Job and operator metrics: the JobManager fetches them on demand, so the first answers may be empty.
            long deadline = System.nanoTime() + WAIT.toNanos();
            Map<Integer, Map<String, Double>> values = Map.of();
            long restarts = -1;
            while (System.nanoTime() < deadline && (restarts < 0 || !(values.size() == 2
                    && values.values().stream().allMatch(m -> m.getOrDefault("mapped", 0.0) > 0)))) {
                Thread.sleep(200);
                restarts = rest.restarts(job);
                values = rest.operatorMetrics(job, "counting", List.of("mapped", "half"));
            }
            assertThat(restarts).isZero();
            assertThat(values).containsOnlyKeys(0, 1);
            assertThat(FlinkRest.sum(values, "mapped")).isPositive();
            assertThat(FlinkRest.weightedMean(values, "half", "mapped")).isEqualTo(0.5);

            long requestedAt = System.currentTimeMillis();
            OptionalLong checkpoint = rest.checkpoint(job, WAIT);
            assertThat(checkpoint).isPresent();
            List<FlinkRest.CheckpointStat> completed = rest.completedCheckpoints(job, t -> t >= requestedAt - 1_000);
            assertThat(completed).singleElement().satisfies(c -> {
                assertThat(c.id()).isEqualTo(checkpoint.getAsLong());
                assertThat(c.endToEndMs()).isNotNegative();
                assertThat(c.maxSyncMs()).isNotNegative().isLessThanOrEqualTo(c.endToEndMs());
                assertThat(c.maxAlignmentMs()).isNotNegative();
            });
            assertThat(rest.completedCheckpoints(job, t -> false)).isEmpty();
            assertThat(rest.completedCheckpointCount(job)).isEqualTo(1);
            assertThat(rest.restoredCheckpoint(job)).isEmpty();
            assertThat(rest.failures(job, 1000)).isZero();

            rest.cancel(job);
            assertThat(cluster.awaitTerminal(job, WAIT)).isEqualTo(JobStatus.CANCELED);
            assertThat(rest.status(job)).isEqualTo(JobStatus.CANCELED);
            assertThat(rest.newestRunningJobWith("counting")).isEqualTo(Optional.empty());
        }
    }

    @Test
    void anUnreachableEndpointFailsAtOnceAndSaysWhere() {
        try (FlinkRest rest = new FlinkRest("http://127.0.0.1:1")) {
            long start = System.nanoTime();
            assertThatThrownBy(rest::jobs).isInstanceOf(IOException.class).hasMessageContaining("127.0.0.1:1");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(FlinkRest.CALL_TIMEOUT);
        }
    }
}
