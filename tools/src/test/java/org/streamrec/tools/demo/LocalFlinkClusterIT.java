package org.streamrec.tools.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.streamrec.tools.flink.FlinkRest;
import org.junit.jupiter.api.Test;

/** The demo's MiniCluster: web UI and REST API on 127.0.0.1, a job submitted, run and cancelled. */
class LocalFlinkClusterIT {

    /** Counts what it maps and reports a constant gauge, both read back through the REST API. */
    static final class CountingMap extends RichMapFunction<Long, Long> {
        private transient Counter mapped;
        private final double half = 0.5;

        @Override
        public void open(OpenContext context) {
            mapped = getRuntimeContext().getMetricGroup().counter("mapped");
            // Reads a field so each subtask gets its own Gauge object: a non-capturing lambda is one shared instance,
            // and Flink's metric query service keys metrics by object, so the subtasks would overwrite each other.
            getRuntimeContext().getMetricGroup().gauge("half", () -> half);
        }

        @Override
        public Long map(Long value) {
            mapped.inc();
            return value;
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static HttpResponse<String> get(URI base, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesTheWebUiOnAFreePortWhenThePreferredOneIsTakenAndRunsAndCancelsJobs() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
             LocalFlinkCluster cluster = LocalFlinkCluster.start(new Configuration(), taken.getLocalPort(), 2)) {
            URI ui = cluster.webUi();
            assertThat(ui.getHost()).isEqualTo("127.0.0.1");
            assertThat(ui.getPort()).isNotEqualTo(taken.getLocalPort()).isPositive();

            HttpResponse<String> config = get(ui, "/config");
            assertThat(config.statusCode()).isEqualTo(200);
            assertThat(config.body()).contains("\"flink-version\":\"2.2.1\"");
            HttpResponse<String> index = get(ui, "/");
            assertThat(index.statusCode()).as("the web UI (flink-runtime-web) is served").isEqualTo(200);
            assertThat(index.body()).containsIgnoringCase("<html");

            StreamExecutionEnvironment bounded = StreamExecutionEnvironment.getExecutionEnvironment();
            bounded.fromSequence(1, 1_000).sinkTo(new DiscardingSink<>());
            JobID finite = cluster.submit(bounded, "finite");
            assertThat(cluster.awaitTerminal(finite, Duration.ofSeconds(60))).isEqualTo(JobStatus.FINISHED);
            assertThat(get(ui, "/jobs/" + finite).body()).contains("\"name\":\"finite\"");

            StreamExecutionEnvironment endless = StreamExecutionEnvironment.getExecutionEnvironment();
            endless.setParallelism(2);
            endless.fromSequence(1, Long.MAX_VALUE).map(new CountingMap()).name("counting").sinkTo(new DiscardingSink<>());
            JobID infinite = cluster.submit(endless, "endless");
            assertThat(cluster.awaitAllTasksRunning(infinite, Duration.ofSeconds(60))).isTrue();

            // The operator's metrics through the REST API, per subtask, as the demo reads the serving job's.
            FlinkRest rest = cluster.rest();
            Map<Integer, Map<String, Double>> values = Map.of();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && !(values.size() == 2
                    && values.values().stream().allMatch(m -> m.containsKey("half") && m.getOrDefault("mapped", 0.0) > 0))) {
                Thread.sleep(200);
                values = rest.operatorMetrics(infinite, "counting", List.of("mapped", "half", "notRegistered"));
            }
            assertThat(values).containsOnlyKeys(0, 1);
            assertThat(values.values()).allSatisfy(m -> assertThat(m).containsEntry("half", 0.5).doesNotContainKey("notRegistered"));
            assertThat(FlinkRest.sum(values, "mapped")).isPositive();
            assertThat(FlinkRest.weightedMean(values, "half", "mapped")).isEqualTo(0.5);

            assertThat(cluster.cancel(infinite, Duration.ofSeconds(60))).isEqualTo(JobStatus.CANCELED);
        }
    }
}
