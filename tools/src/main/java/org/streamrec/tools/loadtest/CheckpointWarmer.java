package org.streamrec.tools.loadtest;

import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.apache.flink.api.common.JobID;
import org.streamrec.tools.flink.FlinkRest;

/**
 * Requests checkpoints of a job one after another during a warm-up step, so that the measured steps run on a
 * checkpoint path the JIT has compiled.
 *
 * <p>Why: the JobManager's and the TaskManager's checkpoint code runs a few times per checkpoint, and HotSpot compiles
 * a method once it has run about 200 times ({@code Tier3InvocationThreshold}). With checkpoints every 10 s a job keeps
 * compiling at each checkpoint for half an hour: on the 2-core machine, deploy/local's TaskManager and JobManager
 * compiled 30-70 methods each at every checkpoint of a measured step, and those were its slowest seconds (BENCHMARKS.md,
 * "Checkpoints the JIT had not compiled"). A production job is past that after its first hour; a load test of a few
 * minutes is not, unless its warm-up takes the checkpoints it would have taken.
 *
 * <p>The requests go back to back, one at a time (requests queue behind a running checkpoint, and a queue would spill
 * into the measured step). While the cold job works off the warm-up's backlog a checkpoint takes 1-2 s (its barriers
 * wait behind the queued records), later tens of milliseconds; so the rest of the requests may have to follow the
 * warm-up's traffic, see {@link #finish}.
 */
final class CheckpointWarmer implements AutoCloseable {

    private static final Duration CHECKPOINT_LIMIT = Duration.ofSeconds(30);

    private final FlinkRest rest;
    private final JobID jobId;
    private final int requests;
    private final Consumer<String> log;
    private final AtomicInteger completed = new AtomicInteger();
    private final Thread thread;

    private CheckpointWarmer(FlinkRest rest, JobID jobId, int requests, Consumer<String> log) {
        this.rest = rest;
        this.jobId = jobId;
        this.requests = requests;
        this.log = log;
        this.thread = new Thread(this::run, "loadtest-checkpoint-warmer");
        thread.setDaemon(true);
    }

    /** Starts requesting {@code requests} checkpoints of the job; 0 requests none. */
    static CheckpointWarmer start(FlinkRest rest, JobID jobId, int requests, Consumer<String> log) {
        CheckpointWarmer warmer = new CheckpointWarmer(rest, jobId, requests, log);
        if (requests > 0) {
            warmer.thread.start();
        }
        return warmer;
    }

    private void run() {
        try {
            while (completed.get() < requests && !Thread.currentThread().isInterrupted()) {
                OptionalLong id = rest.checkpoint(jobId, CHECKPOINT_LIMIT);
                if (id.isEmpty()) {
                    log.accept("checkpoint warm-up: request " + (completed.get() + 1) + " did not complete within "
                            + CHECKPOINT_LIMIT.toSeconds() + " s; stopping");
                    return;
                }
                completed.incrementAndGet();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.accept("checkpoint warm-up stopped after " + completed.get() + " checkpoint(s): " + e.getMessage());
        }
    }

    /** How many of the requested checkpoints have completed so far. */
    int completed() {
        return completed.get();
    }

    /**
     * Lets the requests go on for at most {@code limit} more (the job idle between steps: a checkpoint then takes
     * about 20 ms), then stops them (a checkpoint in progress still completes in Flink); returns how many completed.
     */
    int finish(Duration limit) throws InterruptedException {
        thread.join(Math.max(1, limit.toMillis()));
        return stop();
    }

    /** Stops requesting and returns how many completed. */
    int stop() throws InterruptedException {
        thread.interrupt();
        thread.join();
        return completed.get();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
