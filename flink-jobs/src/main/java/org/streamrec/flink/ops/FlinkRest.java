package org.streamrec.flink.ops;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The few Flink REST calls the local scripts and the load test need (jobs, TaskManagers, cancel), with the JDK's HTTP client. */
public final class FlinkRest {

    /** One row of {@code /jobs/overview}. */
    public record Job(String id, String name, String state, long startTime, int tasksTotal, int tasksRunning) {
        /** RUNNING with every task running (a job is RUNNING while its tasks are still being deployed). */
        public boolean fullyRunning() {
            return "RUNNING".equals(state) && tasksTotal > 0 && tasksRunning == tasksTotal;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public FlinkRest(String baseUrl) {
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
    }

    public JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + base.resolve(path) + ": HTTP " + response.statusCode() + " " + response.body());
        }
        return JSON.readTree(response.body());
    }

    public List<Job> jobs() throws IOException, InterruptedException {
        List<Job> jobs = new ArrayList<>();
        for (JsonNode job : get("jobs/overview").path("jobs")) {
            JsonNode tasks = job.path("tasks");
            jobs.add(new Job(job.path("jid").asText(), job.path("name").asText(), job.path("state").asText(),
                    job.path("start-time").asLong(), tasks.path("total").asInt(), tasks.path("running").asInt()));
        }
        return jobs;
    }

    /** The job's state ({@code RUNNING}, {@code CANCELED}, ...) from {@code /jobs/<id>}. */
    public String state(String jobId) throws IOException, InterruptedException {
        return get("jobs/" + jobId).path("state").asText();
    }

    /** Asks the JobManager to cancel the job ({@code PATCH /jobs/<id>?mode=cancel}); returns at once. */
    public void cancel(String jobId) throws IOException, InterruptedException {
        URI uri = base.resolve("jobs/" + jobId + "?mode=cancel");
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IOException("PATCH " + uri + ": HTTP " + response.statusCode() + " " + response.body());
        }
    }

    /** Number of TaskManagers registered and their free/total slots, as {@code [taskManagers, freeSlots, totalSlots]}. */
    public int[] slots() throws IOException, InterruptedException {
        JsonNode overview = get("overview");
        return new int[] {overview.path("taskmanagers").asInt(), overview.path("slots-available").asInt(),
                overview.path("slots-total").asInt()};
    }

    /** Number of restarts of a job so far (the {@code numRestarts} job metric). */
    public long restarts(String jobId) throws IOException, InterruptedException {
        for (JsonNode metric : get("jobs/" + jobId + "/metrics?get=numRestarts")) {
            return metric.path("value").asLong();
        }
        return -1;
    }
}
