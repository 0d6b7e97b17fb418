package org.streamrec.tools.flink;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.HashSet;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongPredicate;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.CheckpointType;
import org.apache.flink.runtime.checkpoint.CheckpointStatsStatus;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.jobgraph.JobVertexID;
import org.apache.flink.runtime.messages.webmonitor.JobDetails;
import org.apache.flink.runtime.rest.handler.legacy.messages.ClusterOverviewWithVersion;
import org.apache.flink.runtime.rest.messages.EmptyMessageParameters;
import org.apache.flink.runtime.rest.messages.EmptyRequestBody;
import org.apache.flink.runtime.rest.messages.JobExceptionsHeaders;
import org.apache.flink.runtime.rest.messages.JobMessageParameters;
import org.apache.flink.runtime.rest.messages.JobsOverviewHeaders;
import org.apache.flink.runtime.rest.messages.TriggerId;
import org.apache.flink.runtime.rest.messages.MessageParameters;
import org.apache.flink.runtime.rest.messages.MessagePathParameter;
import org.apache.flink.runtime.rest.messages.MessageQueryParameter;
import org.apache.flink.runtime.rest.messages.JobVertexIdPathParameter;
import org.apache.flink.runtime.rest.handler.async.AsynchronousOperationResult;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointIdPathParameter;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointInfo;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointMessageParameters;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointStatisticDetailsHeaders;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointStatistics;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointStatusHeaders;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointStatusMessageParameters;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointTriggerHeaders;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointTriggerMessageParameters;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointTriggerRequestBody;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointingStatistics;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointingStatisticsHeaders;
import org.apache.flink.runtime.rest.messages.checkpoints.TaskCheckpointMessageParameters;
import org.apache.flink.runtime.rest.messages.checkpoints.TaskCheckpointStatisticsHeaders;
import org.apache.flink.runtime.rest.messages.checkpoints.TaskCheckpointStatisticsWithSubtaskDetails;
import org.apache.flink.runtime.rest.messages.job.JobDetailsInfo;
import org.apache.flink.runtime.rest.messages.job.JobExceptionsMessageParameters;
import org.apache.flink.runtime.rest.messages.job.UpperLimitExceptionParameter;
import org.apache.flink.runtime.rest.messages.job.metrics.JobMetricsHeaders;
import org.apache.flink.runtime.rest.messages.job.metrics.JobMetricsMessageParameters;
import org.apache.flink.runtime.rest.messages.job.metrics.JobVertexMetricsHeaders;
import org.apache.flink.runtime.rest.messages.job.metrics.JobVertexMetricsMessageParameters;
import org.apache.flink.runtime.rest.messages.job.metrics.Metric;
import org.apache.flink.runtime.rest.messages.job.metrics.MetricsFilterParameter;
import org.apache.flink.runtime.rest.messages.queue.QueueStatus;
import org.apache.flink.runtime.rest.messages.taskmanager.TaskManagerInfo;
import org.apache.flink.runtime.rest.messages.taskmanager.TaskManagersHeaders;

/**
 * The one Flink REST client of the tools (demo, dashboard, load test, ops CLIs, the MiniCluster wrapper and the tests),
 * built on Flink's own {@link RestClusterClient}: its typed calls where it has them (job status, job details, cancel,
 * cluster overview) and {@link RestClusterClient#sendRequest} with Flink's message headers for the rest (jobs overview
 * with task counts, TaskManagers, job and vertex metrics, exception history, checkpoint on request and checkpoint
 * statistics). So the URLs, the JSON field names and the response classes are Flink's, versioned with the cluster,
 * rather than strings here.
 *
 * <p>Every call is synchronous, gives up after {@link #CALL_TIMEOUT} and fails with an {@link IOException}.
 * {@code RestClusterClient} would retry a refused connection or a 503 up to 20 times a second apart; the callers here
 * poll in their own loops (the dashboard must show an unreachable JobManager at once), so retries are off.
 */
public final class FlinkRest implements AutoCloseable {

    /** Longest a single REST call may take. */
    public static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);

    /** How often {@link #checkpoint} asks whether the checkpoint it requested has completed. */
    private static final Duration CHECKPOINT_POLL = Duration.ofMillis(10);

    /** One row of the jobs overview. */
    public record Job(JobID id, String name, JobStatus state, long startTime, int tasksTotal, int tasksRunning) {
        /** RUNNING with every task running (a job is RUNNING while its tasks are still being deployed). */
        public boolean fullyRunning() {
            return state == JobStatus.RUNNING && tasksTotal > 0 && tasksRunning == tasksTotal;
        }
    }

    /** TaskManagers registered with the cluster and their task slots. */
    public record Slots(int taskManagers, int free, int total) {
    }

    /**
     * One completed checkpoint: when the JobManager triggered it, how long it took end to end, and over all subtasks
     * the longest synchronous part (the task thread stops processing records for it: operator snapshots, and with
     * RocksDB the flush of the memtables) and the longest barrier alignment.
     */
    public record CheckpointStat(long id, long triggerTimestamp, long endToEndMs, long maxSyncMs, long maxAlignmentMs) {
    }

    private final URI address;
    private final RestClusterClient<StandaloneClusterId> client;

    /** A client of the REST endpoint at {@code address}, e.g. {@code http://127.0.0.1:8081}. */
    public FlinkRest(URI address) {
        this.address = address;
        Configuration config = new Configuration();
        config.set(RestOptions.ADDRESS, address.getHost());
        config.set(RestOptions.PORT, address.getPort() > 0 ? address.getPort() : RestOptions.PORT.defaultValue());
        config.set(RestOptions.RETRY_MAX_ATTEMPTS, 0);
        config.set(RestOptions.CONNECTION_TIMEOUT, Duration.ofSeconds(5));
        try {
            this.client = new RestClusterClient<>(config, StandaloneClusterId.getInstance());
        } catch (Exception e) {
            throw new IllegalStateException("cannot create a Flink REST client for " + address, e);
        }
    }

    public FlinkRest(String address) {
        this(URI.create(address));
    }

    /** The endpoint this client talks to. */
    public URI address() {
        return address;
    }

    /**
     * Waits until the REST endpoint answers with a leading dispatcher: it is bound before the leader is known and
     * answers 503 ("leader election") until then, on a loaded machine long enough for a caller's first request to see it.
     */
    public void awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                slots();
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("Flink's REST API at " + address + " is not ready after " + timeout, e);
                }
                Thread.sleep(100);
            }
        }
    }

    /** Every job the cluster knows (running and finished), with its task counts. */
    public List<Job> jobs() throws IOException, InterruptedException {
        Collection<JobDetails> details = call(client.sendRequest(JobsOverviewHeaders.getInstance(),
                EmptyMessageParameters.getInstance(), EmptyRequestBody.getInstance())).getJobs();
        List<Job> jobs = new ArrayList<>();
        for (JobDetails job : details) {
            jobs.add(new Job(job.getJobId(), job.getJobName(), job.getStatus(), job.getStartTime(), job.getNumTasks(),
                    job.getTasksPerState()[ExecutionState.RUNNING.ordinal()]));
        }
        return jobs;
    }

    public JobStatus status(JobID job) throws IOException, InterruptedException {
        return call(client.getJobStatus(job));
    }

    public JobDetailsInfo details(JobID job) throws IOException, InterruptedException {
        return call(client.getJobDetails(job));
    }

    /**
     * True when every task of the job runs, as the job's vertices report; a task turns RUNNING only after its operators
     * have opened (state restored, a model loaded).
     */
    public boolean allTasksRunning(JobID job) throws IOException, InterruptedException {
        Collection<JobDetailsInfo.JobVertexDetailsInfo> vertices = details(job).getJobVertexInfos();
        return !vertices.isEmpty() && vertices.stream().allMatch(v -> v.getExecutionState() == ExecutionState.RUNNING);
    }

    /**
     * The most recently started RUNNING job with a vertex whose name contains {@code operator} (chained operators share
     * a vertex whose name lists them all, e.g. {@code "session-recommender -> ..."}).
     */
    public Optional<JobID> newestRunningJobWith(String operator) throws IOException, InterruptedException {
        List<Job> running = new ArrayList<>(jobs().stream().filter(j -> j.state() == JobStatus.RUNNING).toList());
        running.sort(Comparator.comparingLong(Job::startTime).reversed());
        for (Job job : running) {
            for (JobDetailsInfo.JobVertexDetailsInfo vertex : details(job.id()).getJobVertexInfos()) {
                if (vertex.getName().contains(operator)) {
                    return Optional.of(job.id());
                }
            }
        }
        return Optional.empty();
    }

    /** Asks the JobManager to cancel the job; returns once it has accepted, not when the job has ended. */
    public void cancel(JobID job) throws IOException, InterruptedException {
        call(client.cancel(job));
    }

    /**
     * Takes a checkpoint now, besides the periodic ones, and waits up to {@code limit} for it: its id, or empty when it
     * did not complete in time; an IOException with Flink's reason when it failed.
     *
     * <p>Flink's trigger and status messages, polled every {@link #CHECKPOINT_POLL}, rather than
     * {@code RestClusterClient.triggerCheckpoint}: that one's polling backs off to 2 s, and the load test's warm-up
     * requests checkpoints back to back, where a completion seen late would leave idle gaps between them.
     */
    public OptionalLong checkpoint(JobID job, Duration limit) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        CheckpointTriggerMessageParameters trigger = new CheckpointTriggerMessageParameters();
        trigger.jobID.resolve(job);
        TriggerId request = call(client.sendRequest(CheckpointTriggerHeaders.getInstance(), trigger,
                new CheckpointTriggerRequestBody(CheckpointType.CONFIGURED, null))).getTriggerId();
        CheckpointStatusMessageParameters status = new CheckpointStatusMessageParameters();
        status.jobIdPathParameter.resolve(job);
        status.triggerIdPathParameter.resolve(request);
        while (true) {
            AsynchronousOperationResult<CheckpointInfo> result = call(client.sendRequest(
                    CheckpointStatusHeaders.getInstance(), status, EmptyRequestBody.getInstance()));
            if (result.queueStatus().getId() == QueueStatus.Id.COMPLETED) {
                CheckpointInfo checkpoint = result.resource();
                if (checkpoint.getFailureCause() != null) {
                    throw new IOException("checkpoint request " + request + " of job " + job + " failed: "
                            + checkpoint.getFailureCause().getMessage(), checkpoint.getFailureCause());
                }
                return OptionalLong.of(checkpoint.getCheckpointId());
            }
            if (System.nanoTime() > deadline) {
                return OptionalLong.empty();
            }
            Thread.sleep(CHECKPOINT_POLL.toMillis());
        }
    }

    /** TaskManagers registered and their free and total slots. */
    public Slots slots() throws IOException, InterruptedException {
        ClusterOverviewWithVersion overview = call(client.getClusterOverview());
        return new Slots(overview.getNumTaskManagersConnected(), overview.getNumSlotsAvailable(), overview.getNumSlotsTotal());
    }

    /** Ids of the TaskManagers the JobManager counts as registered (a killed one stays until its heartbeat times out). */
    public Set<String> taskManagerIds() throws IOException, InterruptedException {
        Set<String> ids = new HashSet<>();
        for (TaskManagerInfo taskManager : call(client.sendRequest(TaskManagersHeaders.getInstance(),
                EmptyMessageParameters.getInstance(), EmptyRequestBody.getInstance())).getTaskManagerInfos()) {
            ids.add(taskManager.getResourceId().getResourceIdString());
        }
        return ids;
    }

    /** How many times the job failed (and was restarted), from its exception history, counting up to {@code limit}. */
    public int failures(JobID job, int limit) throws IOException, InterruptedException {
        JobExceptionsMessageParameters parameters = new JobExceptionsMessageParameters();
        parameters.jobPathParameter.resolve(job);
        queryParameter(parameters, UpperLimitExceptionParameter.class).resolve(List.of(limit));
        return call(client.sendRequest(JobExceptionsHeaders.getInstance(), parameters, EmptyRequestBody.getInstance()))
                .getExceptionHistory().getEntries().size();
    }

    /** Checkpoints of the job completed so far (not only those still in the history). */
    public long completedCheckpointCount(JobID job) throws IOException, InterruptedException {
        return checkpointing(job).getCounts().getNumberCompletedCheckpoints();
    }

    /** The checkpoint or savepoint the job last restored from; empty when it has not restored. */
    public OptionalLong restoredCheckpoint(JobID job) throws IOException, InterruptedException {
        CheckpointingStatistics.RestoredCheckpointStatistics restored =
                checkpointing(job).getLatestCheckpoints().getRestoredCheckpointStatistics();
        return restored == null ? OptionalLong.empty() : OptionalLong.of(restored.getId());
    }

    private CheckpointingStatistics checkpointing(JobID job) throws IOException, InterruptedException {
        JobMessageParameters parameters = new JobMessageParameters();
        parameters.jobPathParameter.resolve(job);
        return call(client.sendRequest(CheckpointingStatisticsHeaders.getInstance(), parameters, EmptyRequestBody.getInstance()));
    }

    /** Number of restarts of a job so far (its {@code numRestarts} metric); -1 while the metric is not fetched yet. */
    public long restarts(JobID job) throws IOException, InterruptedException {
        JobMetricsMessageParameters parameters = new JobMetricsMessageParameters();
        parameters.jobPathParameter.resolve(job);
        parameters.metricsFilterParameter.resolve(List.of("numRestarts"));
        for (Metric metric : call(client.sendRequest(JobMetricsHeaders.getInstance(), parameters,
                EmptyRequestBody.getInstance())).getMetrics()) {
            return (long) parse(metric.getValue());
        }
        return -1;
    }

    /**
     * The current values of {@code metrics} of every subtask of the operator named {@code operator}: subtask index →
     * metric → value; metrics the job has not registered (yet) are absent. The REST API names an operator metric
     * {@code <subtask>.<operator name>.<metric>} at vertex level; the operator name is the one given with
     * {@code .name(...)}/{@code transform(...)}. The values are the ones the JobManager fetched last (every
     * {@code metrics.fetcher.update-interval}).
     */
    public Map<Integer, Map<String, Double>> operatorMetrics(JobID job, String operator, List<String> metrics)
            throws IOException, InterruptedException {
        Map<Integer, Map<String, Double>> values = new TreeMap<>();
        for (JobDetailsInfo.JobVertexDetailsInfo vertex : details(job).getJobVertexInfos()) {
            List<String> ids = new ArrayList<>();
            for (int subtask = 0; subtask < vertex.getParallelism(); subtask++) {
                for (String metric : metrics) {
                    ids.add(subtask + "." + operator + "." + metric);
                }
            }
            JobVertexMetricsMessageParameters parameters = new JobVertexMetricsMessageParameters();
            parameters.jobPathParameter.resolve(job);
            parameters.jobVertexIdPathParameter.resolve(vertex.getJobVertexID());
            queryParameter(parameters, MetricsFilterParameter.class).resolve(ids);
            for (Metric metric : call(client.sendRequest(JobVertexMetricsHeaders.getInstance(), parameters,
                    EmptyRequestBody.getInstance())).getMetrics()) {
                String id = metric.getId();
                int firstDot = id.indexOf('.');
                int subtask = Integer.parseInt(id.substring(0, firstDot));
                String name = id.substring(firstDot + operator.length() + 2);
                values.computeIfAbsent(subtask, s -> new TreeMap<>()).put(name, parse(metric.getValue()));
            }
        }
        return values;
    }

    /** The sum of one metric over all subtasks of an operator ({@link #operatorMetrics}); 0 when no subtask reports it. */
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

    /**
     * The job's completed checkpoints still in the JobManager's history ({@code web.checkpoints.history}, 10 by
     * default) whose trigger time passes {@code triggeredAt}, newest first. The details cost one request per
     * checkpoint and per vertex, so only the checkpoints asked for are read.
     */
    public List<CheckpointStat> completedCheckpoints(JobID job, LongPredicate triggeredAt)
            throws IOException, InterruptedException {
        List<CheckpointStat> stats = new ArrayList<>();
        for (CheckpointStatistics checkpoint : checkpointing(job).getHistory()) {
            if (checkpoint.getStatus() != CheckpointStatsStatus.COMPLETED || !triggeredAt.test(checkpoint.getTriggerTimestamp())) {
                continue;
            }
            CheckpointMessageParameters checkpointParameters = new CheckpointMessageParameters();
            checkpointParameters.jobPathParameter.resolve(job);
            pathParameter(checkpointParameters, CheckpointIdPathParameter.class).resolve(checkpoint.getId());
            Map<JobVertexID, ?> perVertex = call(client.sendRequest(CheckpointStatisticDetailsHeaders.getInstance(),
                    checkpointParameters, EmptyRequestBody.getInstance())).getCheckpointStatisticsPerTask();
            long maxSync = 0;
            long maxAlignment = 0;
            for (JobVertexID vertex : perVertex.keySet()) {
                TaskCheckpointMessageParameters taskParameters = new TaskCheckpointMessageParameters();
                taskParameters.jobPathParameter.resolve(job);
                pathParameter(taskParameters, CheckpointIdPathParameter.class).resolve(checkpoint.getId());
                pathParameter(taskParameters, JobVertexIdPathParameter.class).resolve(vertex);
                TaskCheckpointStatisticsWithSubtaskDetails.Summary summary = call(client.sendRequest(
                        TaskCheckpointStatisticsHeaders.getInstance(), taskParameters, EmptyRequestBody.getInstance())).getSummary();
                maxSync = Math.max(maxSync, summary.getCheckpointDuration().getSynchronousDuration().getMaximum());
                maxAlignment = Math.max(maxAlignment, summary.getCheckpointAlignment().getDuration().getMaximum());
            }
            stats.add(new CheckpointStat(checkpoint.getId(), checkpoint.getTriggerTimestamp(), checkpoint.getDuration(),
                    maxSync, maxAlignment));
        }
        return stats;
    }

    @Override
    public void close() {
        client.close();
    }

    /**
     * Flink's message parameter classes keep some of their parameters in protected fields (the checkpoint id, the
     * vertex id of a task checkpoint, the metrics filter of a vertex): they are found by type among the parameters.
     */
    private static <P extends MessagePathParameter<?>> P pathParameter(MessageParameters parameters, Class<P> type) {
        return parameters.getPathParameters().stream().filter(type::isInstance).map(type::cast).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(parameters.getClass().getSimpleName() + " has no " + type.getSimpleName()));
    }

    private static <P extends MessageQueryParameter<?>> P queryParameter(MessageParameters parameters, Class<P> type) {
        return parameters.getQueryParameters().stream().filter(type::isInstance).map(type::cast).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(parameters.getClass().getSimpleName() + " has no " + type.getSimpleName()));
    }

    private <T> T call(CompletableFuture<T> response) throws IOException, InterruptedException {
        try {
            return response.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw failure("request", e.getCause());
        } catch (TimeoutException e) {
            response.cancel(true);
            throw new IOException("Flink REST at " + address + ": no answer within " + CALL_TIMEOUT, e);
        }
    }

    private IOException failure(String what, Throwable cause) {
        // A refused connection carries no message of its own (java.net.ConnectException): say where.
        return new IOException("Flink REST at " + address + ": " + what + " failed: " + cause, cause);
    }

    private static double parse(String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
