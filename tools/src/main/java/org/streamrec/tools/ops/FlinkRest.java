package org.streamrec.tools.ops;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.LongPredicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The few Flink REST calls the local scripts and the load test need (jobs, TaskManagers, cancel, checkpoint statistics,
 * checkpoints on request), with the JDK's HTTP client.
 */
public final class FlinkRest {

    /** One row of {@code /jobs/overview}. */
    public record Job(String id, String name, String state, long startTime, int tasksTotal, int tasksRunning) {
        /** RUNNING with every task running (a job is RUNNING while its tasks are still being deployed). */
        public boolean fullyRunning() {
            return "RUNNING".equals(state) && tasksTotal > 0 && tasksRunning == tasksTotal;
        }
    }

    /**
     * One completed checkpoint: when the JobManager triggered it, how long it took end to end, and over all subtasks
     * the longest synchronous part (the task thread stops processing records for it: operator snapshots, and with
     * RocksDB the flush of the memtables) and the longest barrier alignment.
     */
    public record CheckpointStat(long id, long triggerTimestamp, long endToEndMs, long maxSyncMs, long maxAlignmentMs) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public FlinkRest(String baseUrl) {
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
    }

    public JsonNode get(String path) throws IOException, InterruptedException {
        return JSON.readTree(send("GET", path, null));
    }

    /** Sends one request with {@code jsonBody} (null: none) and returns the response body; an IOException unless 2xx. */
    private String send(String method, String path, String jsonBody) throws IOException, InterruptedException {
        URI uri = base.resolve(path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
        if (jsonBody == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(jsonBody));
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IOException(method + " " + uri + ": HTTP " + response.statusCode() + " " + response.body());
        }
        return response.body();
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
        send("PATCH", "jobs/" + jobId + "?mode=cancel", null);
    }

    /**
     * Asks the JobManager for a checkpoint now, besides the periodic ones ({@code POST /jobs/<id>/checkpoints});
     * returns the request's id for {@link #requestedCheckpoint}.
     */
    public String requestCheckpoint(String jobId) throws IOException, InterruptedException {
        return JSON.readTree(send("POST", "jobs/" + jobId + "/checkpoints", "{}")).path("request-id").asText();
    }

    /**
     * The id of the checkpoint {@link #requestCheckpoint} asked for once it has completed, empty while it is in
     * progress; an IOException with Flink's reason when it failed.
     */
    public OptionalLong requestedCheckpoint(String jobId, String requestId) throws IOException, InterruptedException {
        JsonNode result = get("jobs/" + jobId + "/checkpoints/" + requestId);
        if (!"COMPLETED".equals(result.path("status").path("id").asText())) {
            return OptionalLong.empty();
        }
        JsonNode operation = result.path("operation");
        if (operation.hasNonNull("failureCause")) {
            // Flink serializes the cause as its class, stack trace and Java-serialized bytes: the trace's first line says it.
            String trace = operation.path("failureCause").path("stack-trace").asText(operation.path("failureCause").toString());
            throw new IOException("checkpoint request " + requestId + " failed: " + trace.lines().findFirst().orElse(trace));
        }
        return OptionalLong.of(operation.path("checkpointId").asLong());
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

    /**
     * The job's completed checkpoints still in the JobManager's history ({@code web.checkpoints.history}, 10 by
     * default) whose trigger time passes {@code triggeredAt}, newest first. The details cost one request per
     * checkpoint and per vertex, so only the checkpoints asked for are read.
     */
    public List<CheckpointStat> completedCheckpoints(String jobId, LongPredicate triggeredAt)
            throws IOException, InterruptedException {
        List<CheckpointStat> stats = new ArrayList<>();
        for (JsonNode checkpoint : get("jobs/" + jobId + "/checkpoints").path("history")) {
            if (!"COMPLETED".equals(checkpoint.path("status").asText())
                    || !triggeredAt.test(checkpoint.path("trigger_timestamp").asLong())) {
                continue;
            }
            long id = checkpoint.path("id").asLong();
            String details = "jobs/" + jobId + "/checkpoints/details/" + id;
            long maxSync = 0;
            long maxAlignment = 0;
            for (var vertices = get(details).path("tasks").fieldNames(); vertices.hasNext(); ) {
                JsonNode summary = get(details + "/subtasks/" + vertices.next()).path("summary");
                maxSync = Math.max(maxSync, summary.path("checkpoint_duration").path("sync").path("max").asLong());
                maxAlignment = Math.max(maxAlignment, summary.path("alignment").path("duration").path("max").asLong());
            }
            stats.add(new CheckpointStat(id, checkpoint.path("trigger_timestamp").asLong(),
                    checkpoint.path("end_to_end_duration").asLong(), maxSync, maxAlignment));
        }
        return stats;
    }
}
