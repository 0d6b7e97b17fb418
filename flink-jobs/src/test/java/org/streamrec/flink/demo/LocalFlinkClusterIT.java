package org.streamrec.flink.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.junit.jupiter.api.Test;

/** The demo's MiniCluster: web UI and REST API on 127.0.0.1, a job submitted, run and cancelled. */
class LocalFlinkClusterIT {

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
            endless.fromSequence(1, Long.MAX_VALUE).sinkTo(new DiscardingSink<>());
            JobID infinite = cluster.submit(endless, "endless");
            assertThat(cluster.cancel(infinite, Duration.ofSeconds(60))).isEqualTo(JobStatus.CANCELED);
        }
    }
}
