package org.streamrec.flink.serving;

import java.util.function.LongSupplier;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/**
 * The session operator's metrics (operator scope), registered once when the operator opens. The fields are what the
 * operator updates and what its tests read; the names are the metric names listed in flink-jobs/README.md.
 */
final class ServingMetrics {

    private static final int HISTOGRAM_WINDOW = 2048;

    /** HR@k and MRR@k of this subtask since it started; not checkpointed. */
    final PrequentialMetrics prequential = new PrequentialMetrics();
    final Counter eventsIn;
    final Counter recommendationsOut;
    final Counter fallbackOut;
    final Counter unknownItems;
    final Counter sessionsStarted;
    final Counter sessionsExpired;
    final Counter modelSwaps;
    final Counter modelLoadFailures;
    final Counter announcementsIgnored;
    final Counter controlCommands;
    final Counter controlCommandsRefused;
    final Counter userDeletions;
    /** What topKRows computed and what it ranked (rows x catalogue): how much the exact pruning saves. */
    final Counter itemScoresComputed;
    final Counter itemScoresRanked;
    /** Micro-batches scored and the rows in them: their ratio is the mean batch size over any interval. */
    final Counter scoringBatches;
    final Counter scoringRows;
    final Histogram batchSize;
    final Histogram eventTimeLatency;
    final Histogram processingLatency;
    final Gauge<Long> modelVersion;
    /** The pinned version, or {@link ModelVersions#NOT_PINNED}. */
    final Gauge<Long> pinnedModelVersion;

    ServingMetrics(MetricGroup group, LongSupplier servedVersion, LongSupplier pinnedVersion) {
        eventsIn = group.counter("eventsIn");
        recommendationsOut = group.counter("recommendationsOut");
        fallbackOut = group.counter("fallbackRecommendationsOut");
        unknownItems = group.counter("unknownItemEvents");
        sessionsStarted = group.counter("sessionsStarted");
        sessionsExpired = group.counter("sessionsExpired");
        modelSwaps = group.counter("modelSwaps");
        modelLoadFailures = group.counter("modelLoadFailures");
        announcementsIgnored = group.counter("modelAnnouncementsIgnored");
        controlCommands = group.counter("controlCommandsApplied");
        controlCommandsRefused = group.counter("controlCommandsRefused");
        userDeletions = group.counter("userStateDeletions");
        batchSize = group.histogram("scoringBatchSize", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        eventTimeLatency = group.histogram("eventTimeLatencyMs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        processingLatency = group.histogram("processingLatencyMs", new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW));
        modelVersion = group.gauge("modelVersion", servedVersion::getAsLong);
        itemScoresComputed = group.counter("itemScoresComputed");
        itemScoresRanked = group.counter("itemScoresRanked");
        scoringBatches = group.counter("scoringBatches");
        scoringRows = group.counter("scoringRows");
        group.gauge("itemsScoredInFullShare", () -> itemScoresRanked.getCount() > 0
                ? (double) itemScoresComputed.getCount() / itemScoresRanked.getCount() : Double.NaN);
        pinnedModelVersion = group.gauge("pinnedModelVersion", pinnedVersion::getAsLong);
        group.gauge("prequentialPredictions", prequential::predictions);
        group.gauge("prequentialHitRate", prequential::hitRate);
        group.gauge("prequentialMrr", prequential::mrr);
    }
}
