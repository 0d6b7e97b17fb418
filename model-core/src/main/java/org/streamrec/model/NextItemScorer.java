package org.streamrec.model;

import java.util.List;

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
     * Scores all items for each session; higher is better. {@code out} is row-major
     * {@code [sessions.size() x itemCount()]} and may be reused between calls.
     */
    void scoreAll(List<S> sessions, float[] out);
}
