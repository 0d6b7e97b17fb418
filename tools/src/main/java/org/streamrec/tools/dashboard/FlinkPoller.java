package org.streamrec.tools.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobID;
import org.streamrec.tools.demo.JobMetrics;

/**
 * Reads the serving job's operator metrics through the Flink REST API, the numbers the Flink web UI shows: counters,
 * the prequential HR/MRR gauges, the model version gauge and the latency histograms (which the REST API exposes as
 * {@code <name>_median}, {@code _p95}, {@code _p99}, {@code _max}, {@code _count}, ...).
 *
 * <p>The job is the one given, or else the most recently started RUNNING job that has an operator of the given name;
 * when that job stops, the next poll looks again (a restarted or upgraded job gets a new id).
 */
final class FlinkPoller {

    /** Operator metrics of the serving job, per subtask; {@code error} says why there are none. */
    record Reading(String jobId, String jobName, Map<Integer, Map<String, Double>> operator, double deadLetters,
                   String error) {
        boolean ok() {
            return error == null;
        }

        static Reading failed(String error) {
            return new Reading(null, null, Map.of(), 0, error);
        }
    }

    static final List<String> OPERATOR_METRICS = List.of("eventsIn", "recommendationsOut", "fallbackRecommendationsOut",
            "prequentialPredictions", "prequentialHitRate", "prequentialMrr", "modelVersion", "modelSwaps",
            "processingLatencyMs_median", "processingLatencyMs_p95", "processingLatencyMs_p99", "processingLatencyMs_max",
            "processingLatencyMs_count");
    static final String DECODE_OPERATOR = "decode-and-validate";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final URI rest;
    private final String fixedJobId;
    private final String operator;
    private String jobId;
    private String jobName;

    /**
     * @param rest     the REST endpoint, e.g. {@code http://127.0.0.1:8081}
     * @param jobId    the job to watch, or null to find it by {@code operator}
     * @param operator the serving operator's name ({@code session-recommender})
     */
    FlinkPoller(URI rest, String jobId, String operator) {
        this.rest = rest;
        this.fixedJobId = jobId;
        this.operator = operator;
    }

    URI rest() {
        return rest;
    }

    /** One reading; never throws: failures come back as a reading with the error. */
    Reading poll() {
        try {
            if (jobId == null || !isRunning(jobId)) {
                jobId = fixedJobId != null ? fixedJobId : findServingJob();
                if (jobId == null) {
                    return Reading.failed("no RUNNING job with an operator named '" + operator + "' at " + rest);
                }
                jobName = get("/jobs/" + jobId).path("name").asText();
            }
            JobMetrics metrics = new JobMetrics(rest, JobID.fromHexString(jobId));
            Map<Integer, Map<String, Double>> op = metrics.perSubtask(operator, OPERATOR_METRICS);
            double deadLetters = JobMetrics.sum(metrics.perSubtask(DECODE_OPERATOR, List.of("deadLetters")), "deadLetters");
            return new Reading(jobId, jobName, op, deadLetters, null);
        } catch (IOException | RuntimeException e) {
            jobId = null;
            // Connection failures carry no message of their own (java.net.ConnectException): say where.
            return Reading.failed("Flink REST at " + rest + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Reading.failed("interrupted");
        }
    }

    private boolean isRunning(String id) throws IOException, InterruptedException {
        return "RUNNING".equals(get("/jobs/" + id).path("state").asText());
    }

    private String findServingJob() throws IOException, InterruptedException {
        List<JsonNode> running = new ArrayList<>();
        for (JsonNode job : get("/jobs/overview").path("jobs")) {
            if ("RUNNING".equals(job.path("state").asText())) {
                running.add(job);
            }
        }
        running.sort(Comparator.comparingLong((JsonNode j) -> j.path("start-time").asLong()).reversed());
        for (JsonNode job : running) {
            String id = job.path("jid").asText();
            for (JsonNode vertex : get("/jobs/" + id).path("vertices")) {
                // Chained operators share a vertex whose name lists them all, e.g. "session-recommender -> ...".
                if (vertex.path("name").asText().contains(operator)) {
                    return id;
                }
            }
        }
        return null;
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(rest.resolve(path)).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + path + " answered " + response.statusCode());
        }
        return JSON.readTree(response.body());
    }

    static double sum(Map<Integer, Map<String, Double>> perSubtask, String metric) {
        return JobMetrics.sum(perSubtask, metric);
    }

    static double weightedMean(Map<Integer, Map<String, Double>> perSubtask, String metric, String weight) {
        return JobMetrics.weightedMean(perSubtask, metric, weight);
    }
}
