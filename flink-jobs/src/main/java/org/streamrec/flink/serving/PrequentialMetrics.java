package org.streamrec.flink.serving;

/**
 * Online (prequential, test-then-train) accuracy: each event's item is checked against the last top-k issued to
 * its user in the same session, before the event changes anything. HR@k is the share of checked events whose item
 * was in that list, MRR@k the mean of 1/rank (0 when absent), both over all checked events of this subtask since it
 * started, as the offline protocol averages over predictions. The first event of a session is not checked: its
 * previous recommendation answered another session.
 */
public final class PrequentialMetrics {

    private long predictions;
    private long hits;
    private double reciprocalRankSum;

    /**
     * Records one check.
     *
     * @return the 1-based rank of {@code item} in {@code lastRecommended}, or 0 when it is not there
     */
    public int record(String[] lastRecommended, String item) {
        int rank = 0;
        for (int i = 0; i < lastRecommended.length; i++) {
            if (lastRecommended[i].equals(item)) {
                rank = i + 1;
                break;
            }
        }
        predictions++;
        if (rank > 0) {
            hits++;
            reciprocalRankSum += 1.0 / rank;
        }
        return rank;
    }

    public long predictions() {
        return predictions;
    }

    public long hits() {
        return hits;
    }

    public double hitRate() {
        return predictions == 0 ? 0.0 : (double) hits / predictions;
    }

    public double mrr() {
        return predictions == 0 ? 0.0 : reciprocalRankSum / predictions;
    }
}
