package org.streamrec.tools.demo;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.streamrec.tools.flink.FlinkRest;

/**
 * A Flink MiniCluster in this JVM with its REST endpoint and web UI on 127.0.0.1: the preferred port (8081, as a
 * standalone cluster) when it is free, otherwise any free port. {@link #webUi()} says which.
 *
 * <p>An explicit {@link MiniCluster} rather than {@code StreamExecutionEnvironment.createLocalEnvironmentWithWebUI}:
 * that one binds a fixed port and does not say which address it serves, and it ties the cluster's life to one
 * {@code execute()} call, while the demo needs the address up front and cancels an unbounded job at the end.
 *
 * <p>Submit, status and cancel go to the MiniCluster in this JVM directly: through REST the job graph would be
 * serialized and uploaded to the same process. What only the REST API tells (per-vertex task states, metrics,
 * checkpoint statistics) goes through {@link #rest()}, the tools' one REST client, which the callers share.
 */
public final class LocalFlinkCluster implements AutoCloseable {

    public static final int DEFAULT_REST_PORT = 8081;
    private static final String HOST = "127.0.0.1";
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

    private final MiniCluster cluster;
    private final URI webUi;
    private final FlinkRest rest;

    private LocalFlinkCluster(MiniCluster cluster, URI webUi, FlinkRest rest) {
        this.cluster = cluster;
        this.webUi = webUi;
        this.rest = rest;
    }

    /**
     * Starts one TaskManager with {@code slots} slots. {@code settings} are added to the cluster configuration
     * (state backend, checkpoint directory, ...); the REST address and port are chosen here.
     */
    public static LocalFlinkCluster start(Configuration settings, int preferredRestPort, int slots) throws Exception {
        int port = isFree(preferredRestPort) ? preferredRestPort : freePort();
        try {
            return startOn(settings, port, slots);
        } catch (Exception e) {
            if (!hasCause(e, BindException.class)) {
                throw e;
            }
            // Someone took the port between the probe and the bind.
            return startOn(settings, freePort(), slots);
        }
    }

    private static LocalFlinkCluster startOn(Configuration settings, int port, int slots) throws Exception {
        Configuration config = new Configuration(settings);
        config.set(RestOptions.ADDRESS, HOST);
        config.set(RestOptions.BIND_ADDRESS, HOST);
        config.set(RestOptions.BIND_PORT, String.valueOf(port));
        config.set(JobManagerOptions.ADDRESS, HOST);
        config.set(TaskManagerOptions.HOST, HOST);
        // The REST API (and the web UI) refresh metrics every 10 s by default: too slow to watch a short demo.
        config.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofSeconds(1));
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(config)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(slots)
                .setCommonBindAddress(HOST)
                .build());
        FlinkRest rest = null;
        try {
            cluster.start();
            URI address = cluster.getRestAddress().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            rest = new FlinkRest(address);
            rest.awaitReady(CALL_TIMEOUT);
            return new LocalFlinkCluster(cluster, address, rest);
        } catch (Exception e) {
            if (rest != null) {
                rest.close();
            }
            cluster.closeAsync().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            throw e;
        }
    }

    /** Where the web UI and the REST API answer, e.g. {@code http://127.0.0.1:8081}. */
    public URI webUi() {
        return webUi;
    }

    /** The REST client of this cluster; closed with it. */
    public FlinkRest rest() {
        return rest;
    }

    /** Submits the topology built on {@code env} (which only serves to build it) under {@code jobName}. */
    public JobID submit(StreamExecutionEnvironment env, String jobName) throws Exception {
        StreamGraph graph = env.getStreamGraph();
        graph.setJobName(jobName);
        return cluster.submitJob(graph.getJobGraph()).get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).getJobID();
    }

    public JobStatus status(JobID job) throws Exception {
        return cluster.getJobStatus(job).get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits until the job reaches a globally terminal state or {@code timeout} passes; returns the last status. */
    public JobStatus awaitTerminal(JobID job, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JobStatus status = status(job);
        while (!status.isGloballyTerminalState() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            status = status(job);
        }
        return status;
    }

    /**
     * Waits until every task of the job runs, as the REST API reports per vertex; a task turns RUNNING only after
     * its operators have opened (state restored, a model loaded), so work sent afterwards measures the job, not its
     * start-up. Returns false if the job ended or {@code timeout} passed first.
     */
    public boolean awaitAllTasksRunning(JobID job, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (rest.allTasksRunning(job)) {
                    return true;
                }
            } catch (IOException e) {
                // Not answered this time (e.g. the job not registered yet): ask again, as long as the job lives.
            }
            if (status(job).isGloballyTerminalState()) {
                return false;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** Cancels the job and waits for it to end; returns its final status. */
    public JobStatus cancel(JobID job, Duration timeout) throws Exception {
        JobStatus status = status(job);
        if (!status.isGloballyTerminalState()) {
            cluster.cancelJob(job).get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        }
        return awaitTerminal(job, timeout);
    }

    @Override
    public void close() throws InterruptedException, ExecutionException, TimeoutException {
        rest.close();
        cluster.closeAsync().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        }
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
