package org.streamrec.model;

import java.util.List;
import java.util.function.IntFunction;

/**
 * The serving API: advance a session one event at a time, then score every known item for many
 * sessions at once. The offline evaluator and the Flink serving job both go through this interface
 * (and {@link TopK} for the selection), so offline and streaming results cannot drift apart.
 * Baselines implement it too, so they are measured by the same harness.
 *
 * @param <S> per-session state, e.g. a GRU hidden vector or the list of items seen so far
 */
public interface NextItemScorer<S> {

    /** Number of scorable items; scores are indexed by {@link ItemVocabulary} row. */
    int itemCount();

    /** State of a session that has seen nothing yet. */
    S newSession();

    /** Advances {@code state} in place by one event on item row {@code itemIndex}. */
    void step(S state, int itemIndex);

    /**
     * Advances each of {@code states} in place by the event on its item row {@code itemIndexes[i]}; a negative index
     * leaves that state as it is. The result is exactly that of {@link #step} on each state in turn (the serving job
     * relies on it: a session's state must not depend on which micro-batch it was stepped in); implementations may
     * share work across the states, e.g. read each weight once for the whole batch.
     */
    default void stepAll(List<S> states, int[] itemIndexes) {
        for (int i = 0; i < states.size(); i++) {
            if (itemIndexes[i] >= 0) {
                step(states.get(i), itemIndexes[i]);
            }
        }
    }

    /**
     * Scores all items for each session; higher is better. {@code out} is row-major
     * {@code [sessions.size() x itemCount()]} and may be reused between calls.
     */
    void scoreAll(List<S> sessions, float[] out);

    /**
     * Scores all items for each session, as {@link #scoreAll}, and hands each session's row of scores to
     * {@code visitor}, in order, before the next row is produced: row {@code r} is
     * {@code scores[offset .. offset + itemCount())}, valid only during the call. The scores are the ones
     * {@link #scoreAll} gives; an implementation may keep just one row in a small reusable buffer instead of the
     * whole {@code [sessions x items]} matrix (what the serving job's top-k needs). This default allocates that matrix.
     */
    default void scoreRows(List<S> sessions, RowVisitor visitor) throws Exception {
        int n = itemCount();
        float[] out = new float[sessions.size() * n];
        scoreAll(sessions, out);
        for (int r = 0; r < sessions.size(); r++) {
            visitor.row(r, out, r * n);
        }
    }

    /**
     * Each session's {@code k} best items, best first, as {@link TopK#select} gives them on that session's row of
     * {@link #scoreAll} without the items {@code excluded.apply(row)} lists (null: none). {@code visitor} gets the
     * rows in order; its arrays are valid only during the call. An implementation need not hold any full row of
     * scores; this default goes through {@link #scoreRows}.
     */
    default void topKRows(List<S> sessions, int k, IntFunction<int[]> excluded, TopKVisitor visitor) throws Exception {
        int[] items = new int[k];
        float[] scores = new float[k];
        int n = itemCount();
        scoreRows(sessions, (row, rowScores, offset) -> {
            int[] skip = excluded.apply(row);
            int count = TopK.select(rowScores, offset, n, k, skip, skip == null ? 0 : skip.length, items, scores);
            visitor.row(row, items, scores, count);
        });
    }

    /**
     * Runs the serving path ({@link #stepAll}, {@link #topKRows}) on a throw-away copy of this scorer's kind until the
     * JIT has compiled it, leaving this scorer as it is; returns the batches that took. Call before taking traffic.
     * This default does nothing.
     */
    default int warmUp() {
        return 0;
    }

    /**
     * Prepares this scorer for {@link #topKRows} on the serving path (caches, indexes) once it will not change any more,
     * so that the first events do not pay for it; results stay as they are. This default does nothing.
     */
    default void prepareForServing() {
    }

    /**
     * Item scores {@link #topKRows} computed in full so far, or -1 when this scorer does not count them; with
     * {@link #itemsRanked}, what an exact pruning of the catalogue saved (metrics; may lag a running call).
     */
    default long itemsScoredInFull() {
        return -1;
    }

    /** Rows times catalogue size {@link #topKRows} ranked so far (what scoring every item costs), or -1. */
    default long itemsRanked() {
        return -1;
    }

    /** Receives one session's best items from {@link #topKRows}: {@code items[0..count)} and their scores. */
    @FunctionalInterface
    interface TopKVisitor {
        void row(int row, int[] items, float[] scores, int count) throws Exception;
    }

    /** Receives one row of scores from {@link #scoreRows}. */
    @FunctionalInterface
    interface RowVisitor {
        void row(int row, float[] scores, int offset) throws Exception;
    }
}
