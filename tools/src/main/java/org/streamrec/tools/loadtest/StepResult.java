package org.streamrec.tools.loadtest;

import java.util.Map;

/**
 * One load step: one serving job (a delivery guarantee, a parallelism, a micro-batch size and time bound) at one
 * target rate. Latencies are in ms, from event creation (its event time, set when the replay creates it) to the
 * answer being returned by a {@code read_committed} consumer ({@code visible*}); {@code emitP99Ms} is the same up to
 * the moment the operator emitted it (the job's part). Only events created after the warm-up are timed.
 * {@code maxLag} is the largest number of events sent but not yet answered ("in flight") seen by the 250 ms sampler;
 * {@code maxGroupLag}/{@code finalGroupLag}: the serving job's consumer-group lag on the events topic (log-end minus
 * committed offsets, which the source commits at checkpoints), largest during the step and after the drain (-1 when
 * unreadable); {@code groupLagZeroMs}: how long after the drain that lag took to read 0 (-1: not within the wait); {@code drainMs} is how long after the last send the last answer came. {@code cores}: average CPU cores
 * busy in this JVM during the step per thread group ({@link ProcessSampler}) and in total; {@code processes}: cores
 * and peak RSS of each process by role (broker, jobmanager, taskmanager, harness; {@link StepMonitor}).
 * {@code checkpoints}: the job's checkpoints triggered during the step, from Flink's REST API; {@code scoring}: the
 * operator's micro-batches and pruning during the step, from its counters. {@code startedAtEpochMs}: when the step
 * began sending (wall clock), which the latency series' seconds count from and a profile can be aligned with.
 */
record StepResult(long startedAtEpochMs, String guarantee, int parallelism, int batchMaxSize, long batchMaxDelayMs, String rate, double targetRate,
                  long sent, long answered, long duplicates, long fallback, double sendSeconds, double sendRate,
                  double throughput, long drainMs, boolean keptUp, long timed, long visibleP50Ms, long visibleP95Ms,
                  long visibleP99Ms, long visibleMaxMs, long emitP99Ms, long maxLag, long maxGroupLag, long finalGroupLag,
                  long groupLagZeroMs, CheckpointSummary checkpoints, ScoringSummary scoring,
                  double peakRssMib, Map<String, Double> cores, Map<String, ProcessUsage> processes, double loadAverage1m) {

    boolean everyEventAnswered() {
        return answered == sent && duplicates == 0;
    }
}
