package org.streamrec.tools.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line and the HTTP side of the dashboard, with nothing to read yet (no broker at the given address). */
class DashboardTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static HttpResponse<String> get(URI base, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void defaultsMatchTheJobsTopicsAndSessionGapAndBindLoopback() {
        Dashboard d = Dashboard.parse();
        assertThat(d.bootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(d.recommendationsTopic()).isEqualTo("recommendations");
        assertThat(d.modelUpdatesTopic()).isEqualTo("model-updates");
        assertThat(d.eventsTopic()).isEqualTo("events");
        assertThat(d.flinkRest).isEqualTo("http://127.0.0.1:8081");
        assertThat(d.host).isEqualTo("127.0.0.1");
        assertThat(d.port).isEqualTo(8090);
        assertThat(d.sessionGap).isEqualTo(Duration.ofMinutes(30));
        assertThat(d.accuracyWindow).isEqualTo(Duration.ofSeconds(30));
        assertThatThrownBy(() -> Dashboard.parse("--sample-interval", "soon")).isInstanceOf(CommandLine.ParameterException.class);
    }

    @Test
    void servesThePageItsScriptAndJsonWhileWaitingForKafka() throws Exception {
        ObjectMapper json = new ObjectMapper();
        try (Dashboard d = Dashboard.parse("--bootstrap-servers", "127.0.0.1:1", "--flink-rest", "none", "--port", "0",
                "--sample-interval", "100ms").start()) {
            URI url = d.url();
            assertThat(url.getHost()).isEqualTo("127.0.0.1");
            assertThat(url.getPort()).isPositive();

            HttpResponse<String> page = get(url, "/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(page.body()).contains("id=\"chart-throughput\"", "id=\"chart-latency\"", "id=\"chart-accuracy\"",
                    "id=\"chart-version\"", "id=\"user\"", "static/dashboard.js").doesNotContain("http://", "https://");
            assertThat(get(url, "/static/dashboard.js").body()).contains("function drawChart");
            assertThat(get(url, "/static/dashboard.css").statusCode()).isEqualTo(200);
            assertThat(get(url, "/missing").statusCode()).isEqualTo(404);

            Thread.sleep(350);
            JsonNode series = json.readTree(get(url, "/api/series").body());
            assertThat(series.path("points").size()).as("one point per interval, with or without data").isPositive();
            assertThat(series.path("points").get(0).path("recommendationsPerSec").asDouble()).isZero();
            assertThat(series.path("points").get(0).path("hitRate").isNull()).as("no Flink: a gap, not a zero").isTrue();
            JsonNode summary = json.readTree(get(url, "/api/summary").body());
            assertThat(summary.path("recommendationsRead").asLong()).isZero();
            assertThat(summary.path("flink").path("rest").isNull()).isTrue();
            assertThat(json.readTree(get(url, "/api/feed?user=nobody%20here").body()).path("user").asText()).isEqualTo("nobody here");
            assertThat(json.readTree(get(url, "/api/users").body()).size()).isZero();
            assertThat(json.readTree(get(url, "/api/models").body()).path("announcements").size()).isZero();
        }
    }
}
