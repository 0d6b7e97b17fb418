package org.streamrec.flink.serving;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The scoring requests of one operator subtask waiting to be answered together: one {@code stepAll} and one
 * {@code topKRows} call for all of them. Not state: {@link SessionRecommenderOperator} decides when to flush (size,
 * time bound, barrier, watermark, swap, same user) and answers each row.
 */
final class MicroBatch {

    /**
     * One event waiting in the micro-batch: its GRU step ({@code itemRow}, or -1 for an item the model does not know)
     * and the write of {@code state} happen at the flush, for the whole batch at once.
     */
    record Request(String userId, String eventId, long eventTime, long arrivalTime, SessionState state,
                   int itemRow, int[] excluded) {
    }

    /** Receives each request's top-k ({@code ids[0..count)}), in the batch's order. */
    interface Answer {
        void issue(Request request, String[] ids, float[] scores, int count) throws Exception;
    }

    private final int k;
    private final List<Request> pending;
    private final Set<String> pendingUsers = new HashSet<>();
    private final List<float[]> hidden;
    private int[] itemRows;
    private final String[] ids;

    MicroBatch(int maxSize, int k) {
        this.k = k;
        pending = new ArrayList<>(maxSize);
        hidden = new ArrayList<>(maxSize);
        itemRows = new int[maxSize];
        ids = new String[k];
    }

    /** Adds a request and returns how many are pending. */
    int add(Request request) {
        pending.add(request);
        pendingUsers.add(request.userId());
        return pending.size();
    }

    boolean hasRequestOf(String user) {
        return pendingUsers.contains(user);
    }

    int size() {
        return pending.size();
    }

    /**
     * Steps every pending session's GRU in one {@code stepAll} (the same result as one step each), scores all rows
     * with one matrix product, hands each row's top-k to {@code answer} and empties the batch.
     */
    void score(ServingModel model, ServingMetrics metrics, Answer answer) throws Exception {
        int rows = pending.size();
        if (itemRows.length < rows) {
            itemRows = new int[rows];
        }
        hidden.clear();
        for (int i = 0; i < rows; i++) {
            Request r = pending.get(i);
            hidden.add(r.state().hidden);
            itemRows[i] = r.itemRow();
        }
        model.scorer().stepAll(hidden, itemRows);
        metrics.batchSize.update(rows);
        metrics.scoringBatches.inc();
        metrics.scoringRows.inc(rows);
        long scoredBefore = model.scorer().itemsScoredInFull();
        long rankedBefore = model.scorer().itemsRanked();
        model.scorer().topKRows(hidden, k, i -> pending.get(i).excluded(), (i, items, scores, count) -> {
            for (int j = 0; j < count; j++) {
                ids[j] = model.itemIdOf(items[j]);
            }
            answer.issue(pending.get(i), ids, scores, count);
        });
        if (rankedBefore >= 0) {
            metrics.itemScoresComputed.inc(model.scorer().itemsScoredInFull() - scoredBefore);
            metrics.itemScoresRanked.inc(model.scorer().itemsRanked() - rankedBefore);
        }
        pending.clear();
        pendingUsers.clear();
        hidden.clear();
    }
}
