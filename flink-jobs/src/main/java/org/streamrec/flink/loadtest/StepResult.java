package org.streamrec.flink.loadtest;

import java.util.Map;

/**
 * One load step: one delivery guarantee at one target rate. Latencies are in ms, from event creation (its event
 * time, set when the replay creates it) to the answer being returned by a {@code read_committed} consumer
 * ({@code visible*}); {@code emitP99Ms} is the same up to the moment the operator emitted it (the job's part).
 * Only events created after the warm-up are timed. {@code maxLag} is the largest number of events sent but not yet
 * answered seen by the 250 ms sampler; {@code drainMs} is how long after the last send the last answer came.
 * {@code cores}: average CPU cores busy during the step per thread group ({@link ProcessSampler}) and in total.
 */
record StepResult(String guarantee, String rate, double targetRate, long sent, long answered, long duplicates,
                  long fallback, double sendSeconds, double sendRate, double throughput, long drainMs, boolean keptUp,
                  long timed, long visibleP50Ms, long visibleP95Ms, long visibleP99Ms, long visibleMaxMs, long emitP99Ms,
                  long maxLag, double peakRssMib, Map<String, Double> cores, double loadAverage1m) {

    boolean everyEventAnswered() {
        return answered == sent && duplicates == 0;
    }
}
