package org.streamrec.tools.loadtest;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Where the load test's broker and serving job run: all in this JVM ({@link EmbeddedDeployment}) or as the
 * separate processes of deploy/local ({@link LocalClusterDeployment}). Either has the {@code model-updates} topic
 * the serving job reads; the load test creates each job's own topics.
 */
interface Deployment extends AutoCloseable {

    /** A submitted serving job. */
    interface Job {
        String id();

        /** Waits until every task runs (operators opened, model loaded); false if the job ended or time ran out. */
        boolean awaitAllTasksRunning(Duration timeout) throws Exception;

        /** True once the job failed, finished or was cancelled. */
        boolean ended() throws Exception;

        String status() throws Exception;

        void cancel(Duration timeout) throws Exception;
    }

    String bootstrapServers();

    void createTopic(String name, int partitions, Map<String, String> configs) throws Exception;

    /** Submits the serving job ({@code RecommenderJob}) with these command-line flags. */
    Job submitServingJob(List<String> jobArgs, String name) throws Exception;

    /** The processes to watch, by role, e.g. {@code broker -> 1234}; this JVM is always {@code harness}. */
    Map<String, Long> processes();

    /** Where Flink's web UI answers. */
    String webUi();

    @Override
    void close() throws Exception;
}
