package org.streamrec.tools.loadtest;

import java.util.List;
import java.util.Map;

import org.streamrec.tools.flink.FlinkRest;

/**
 * What the serving operator did in one load step, from the difference of its counters (docs/METRICS.md) at the step's
 * start and end: micro-batches scored, the rows in them, their mean size, and the share of the item scores the exact
 * pruning computed in full ({@code itemScoresComputed / itemScoresRanked}; 1 without it). These explain a step's CPU:
 * a smaller batch or a larger share costs more per event.
 */
record ScoringSummary(long batches, long rows, double meanBatchRows, double itemsScoredInFullShare) {

    /** The operator's counters this summary is the difference of. */
    static final List<String> COUNTERS =
            List.of("scoringBatches", "scoringRows", "itemScoresComputed", "itemScoresRanked");

    /** The counters could not be read. */
    static final ScoringSummary UNKNOWN = new ScoringSummary(-1, -1, Double.NaN, Double.NaN);

    /** From the operator's counters per subtask ({@link FlinkRest#operatorMetrics}) at the step's start and end. */
    static ScoringSummary between(Map<Integer, Map<String, Double>> start, Map<Integer, Map<String, Double>> end) {
        long batches = delta(start, end, "scoringBatches");
        long rows = delta(start, end, "scoringRows");
        long computed = delta(start, end, "itemScoresComputed");
        long ranked = delta(start, end, "itemScoresRanked");
        return new ScoringSummary(batches, rows, batches > 0 ? (double) rows / batches : Double.NaN,
                ranked > 0 ? (double) computed / ranked : Double.NaN);
    }

    private static long delta(Map<Integer, Map<String, Double>> start, Map<Integer, Map<String, Double>> end, String counter) {
        return Math.round(FlinkRest.sum(end, counter) - FlinkRest.sum(start, counter));
    }
}
