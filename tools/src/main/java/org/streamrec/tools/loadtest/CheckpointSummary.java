package org.streamrec.tools.loadtest;

import java.util.List;
import java.util.function.LongPredicate;

import org.streamrec.tools.flink.FlinkRest;

/**
 * The checkpoints completed during one load step: how many, and the longest synchronous part, barrier alignment and
 * end-to-end duration among them (ms). The synchronous part is what an operator's latency feels: the task thread
 * processes no record meanwhile (with RocksDB it waits for the memtables to be flushed).
 */
record CheckpointSummary(int count, long maxSyncMs, long maxAlignmentMs, long maxEndToEndMs) {

    /** Not measured (the unreported warm-up step). */
    static final CheckpointSummary NONE = new CheckpointSummary(0, -1, -1, -1);
    /** The statistics could not be read. */
    static final CheckpointSummary UNKNOWN = new CheckpointSummary(-1, -1, -1, -1);

    /** The step's checkpoints: those triggered in {@code [fromMillis, toMillis]}. */
    static LongPredicate triggeredBetween(long fromMillis, long toMillis) {
        return triggered -> triggered >= fromMillis && triggered <= toMillis;
    }

    /** Summarises the checkpoints triggered in {@code [fromMillis, toMillis]}. */
    static CheckpointSummary of(List<FlinkRest.CheckpointStat> checkpoints, long fromMillis, long toMillis) {
        LongPredicate inStep = triggeredBetween(fromMillis, toMillis);
        int count = 0;
        long sync = -1;
        long alignment = -1;
        long endToEnd = -1;
        for (FlinkRest.CheckpointStat c : checkpoints) {
            if (!inStep.test(c.triggerTimestamp())) {
                continue;
            }
            count++;
            sync = Math.max(sync, c.maxSyncMs());
            alignment = Math.max(alignment, c.maxAlignmentMs());
            endToEnd = Math.max(endToEnd, c.endToEndMs());
        }
        return new CheckpointSummary(count, sync, alignment, endToEnd);
    }
}
