package org.streamrec.eval;

/**
 * Receives every prediction the {@link Evaluator} makes, with its exact rank and its top-k list (the same
 * {@link org.streamrec.model.TopK} selection the streaming job uses, so the two can be compared list by list).
 * Calls come in batch order, not session order; {@code sessionIndex} and {@code prefixLength} identify them.
 * The arrays are reused: copy what you keep.
 */
@FunctionalInterface
public interface PredictionListener {

    /**
     * @param sessionIndex index of the session in the evaluated list
     * @param prefixLength k: the model has seen the session's first k events, the target is event k+1
     * @param target       vocabulary row of the target, or {@link org.streamrec.model.ItemVocabulary#UNKNOWN}
     * @param rank         1-based rank of the target with ties counted against it, or {@link Evaluator#MISS}
     * @param topItems     vocabulary rows of the top items, best first, {@code topCount} of them
     * @param topScores    their scores
     */
    void onPrediction(int sessionIndex, int prefixLength, int target, int rank, int[] topItems, float[] topScores, int topCount);
}
