package org.streamrec.flink.serving;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Objects;
import java.util.stream.IntStream;

import org.streamrec.model.ItemVocabulary;
import org.streamrec.model.NextItemScorer;

/**
 * One loaded model version as the serving operator uses it: the scorer (GRU step + batched scoring), the
 * vocabulary that maps external item ids to its rows, and the popularity fallback answered to sessions with no
 * known item yet. Not thread-safe (scorers keep scratch buffers): each operator subtask loads its own instance.
 */
public final class ServingModel {

    private final long version;
    private final NextItemScorer<float[]> scorer;
    private final ItemVocabulary vocabulary;
    private final String[] fallbackItems;
    private final float[] fallbackScores;
    private final int hiddenSize;

    private ServingModel(long version, NextItemScorer<float[]> scorer, ItemVocabulary vocabulary,
                         String[] fallbackItems, float[] fallbackScores) {
        this.version = version;
        this.scorer = scorer;
        this.vocabulary = vocabulary;
        this.fallbackItems = fallbackItems;
        this.fallbackScores = fallbackScores;
        this.hiddenSize = scorer.newSession().length;
    }

    /**
     * @param popularity event count per item row (length at least {@code scorer.itemCount()}); the fallback is the
     *                   {@code fallbackSize} most frequent rows, ties by lower row, so it is deterministic
     */
    public static ServingModel of(long version, NextItemScorer<float[]> scorer, ItemVocabulary vocabulary,
                                  long[] popularity, int fallbackSize) {
        Objects.requireNonNull(scorer, "scorer");
        Objects.requireNonNull(vocabulary, "vocabulary");
        int n = scorer.itemCount();
        if (vocabulary.size() < n) {
            throw new IllegalArgumentException("vocabulary has " + vocabulary.size() + " ids for " + n + " scored items");
        }
        if (popularity.length < n) {
            throw new IllegalArgumentException("popularity has " + popularity.length + " counts for " + n + " items");
        }
        // Runs once per model load, so a plain sort is fine; per-event selection uses TopK.
        int[] order = IntStream.range(0, n).boxed()
                .sorted(Comparator.<Integer>comparingLong(row -> popularity[row]).reversed().thenComparingInt(row -> row))
                .limit(fallbackSize).mapToInt(Integer::intValue).toArray();
        String[] items = new String[order.length];
        float[] scores = new float[order.length];
        long total = Math.max(1, Arrays.stream(popularity, 0, n).sum());
        for (int i = 0; i < order.length; i++) {
            items[i] = vocabulary.idOf(order[i]);
            // Share of all training events: comparable across versions, unlike raw counts.
            scores[i] = (float) ((double) popularity[order[i]] / total);
        }
        // Here, not on the first event: preparing (e.g. packing the weights for the scoring kernel) takes a while.
        scorer.prepareForServing();
        return new ServingModel(version, scorer, vocabulary, items, scores);
    }

    public long version() {
        return version;
    }

    public NextItemScorer<float[]> scorer() {
        return scorer;
    }

    /** Row of {@code itemId} in this model's scores, or {@link ItemVocabulary#UNKNOWN}. */
    public int rowOf(String itemId) {
        int row = vocabulary.indexOf(itemId);
        return row < scorer.itemCount() ? row : ItemVocabulary.UNKNOWN;
    }

    public String itemIdOf(int row) {
        return vocabulary.idOf(row);
    }

    /** Length of this model's session state vector. */
    public int hiddenSize() {
        return hiddenSize;
    }

    public int itemCount() {
        return scorer.itemCount();
    }

    public String[] fallbackItems() {
        return fallbackItems;
    }

    public float[] fallbackScores() {
        return fallbackScores;
    }
}
