package org.streamrec.tools.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.flink.api.common.JobID;

/**
 * Reads an operator's metrics of a running job through the Flink REST API (the same numbers the web UI shows), per
 * subtask. The REST API names an operator metric {@code <subtask>.<operator name>.<metric>} at vertex level; the
 * operator name is the one given with {@code .name(...)} / {@code transform(...)}.
 */
public final class JobMetrics {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final URI rest;
    private final JobID job;

    public JobMetrics(URI rest, JobID job) {
        this.rest = rest;
        this.job = job;
    }

    /**
     * The current values of {@code metrics} of every subtask of the operator named {@code operator}: subtask index →
     * metric → value. Metrics the job has not registered (yet) are absent.
     */
    public Map<Integer, Map<String, Double>> perSubtask(String operator, List<String> metrics)
            throws IOException, InterruptedException {
        Map<Integer, Map<String, Double>> values = new TreeMap<>();
        JsonNode jobInfo = get("/jobs/" + job);
        for (JsonNode vertex : jobInfo.path("vertices")) {
            int parallelism = vertex.path("parallelism").asInt();
            List<String> ids = new ArrayList<>();
            for (int subtask = 0; subtask < parallelism; subtask++) {
                for (String metric : metrics) {
                    ids.add(subtask + "." + operator + "." + metric);
                }
            }
            String query = URLEncoder.encode(String.join(",", ids), StandardCharsets.UTF_8);
            for (JsonNode metric : get("/jobs/" + job + "/vertices/" + vertex.path("id").asText() + "/metrics?get=" + query)) {
                String id = metric.path("id").asText();
                int firstDot = id.indexOf('.');
                int subtask = Integer.parseInt(id.substring(0, firstDot));
                String name = id.substring(firstDot + operator.length() + 2);
                values.computeIfAbsent(subtask, s -> new TreeMap<>()).put(name, parse(metric.path("value").asText()));
            }
        }
        return values;
    }

    /** The sum of one metric over all subtasks of the operator; 0 when no subtask reports it. */
    public static double sum(Map<Integer, Map<String, Double>> perSubtask, String metric) {
        return perSubtask.values().stream().mapToDouble(m -> m.getOrDefault(metric, 0.0)).sum();
    }

    /**
     * A per-subtask average (such as a hit rate) combined over subtasks, weighted by the per-subtask count it averages
     * over; 0 when the weights sum to 0.
     */
    public static double weightedMean(Map<Integer, Map<String, Double>> perSubtask, String metric, String weight) {
        double weights = 0;
        double total = 0;
        for (Map<String, Double> m : perSubtask.values()) {
            double w = m.getOrDefault(weight, 0.0);
            weights += w;
            total += w * m.getOrDefault(metric, 0.0);
        }
        return weights == 0 ? 0 : total / weights;
    }

    private static double parse(String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(rest.resolve(path)).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }
}
