package org.streamrec.baselines;

import java.util.Arrays;

/**
 * Markov1: the items that most often directly followed the session's current (last) item in training, by
 * number of transitions (consecutive repeats included, so i -> i counts), ties by item id (string order, see TrainingStats); every other item
 * follows in popularity order. An empty session, or a last item never followed by anything, gets POP.
 */
public final class MarkovScorer extends HistoryScorer {

    private final float[] popularity;
    private final RankedLists successors;

    private MarkovScorer(TrainingStats stats, RankedLists successors) {
        super(stats.itemCount());
        this.popularity = stats.popularityScores();
        this.successors = successors;
    }

    public static MarkovScorer fit(TrainingStats stats) {
        int n = stats.itemCount();
        int transitions = 0;
        for (int[] session : stats.sessions()) {
            transitions += Math.max(0, session.length - 1);
        }
        long[] keys = new long[transitions];
        int k = 0;
        for (int[] session : stats.sessions()) {
            for (int t = 1; t < session.length; t++) {
                keys[k++] = PairCounts.key(session[t - 1], session[t], n);
            }
        }
        PairCounts pairs = PairCounts.count(keys, k, n);
        int[] ordered = new int[pairs.other.length];
        long[] sortKeys = new long[pairs.other.length];
        for (int a = 0; a < n; a++) {
            int from = pairs.start[a];
            int to = pairs.start[a + 1];
            // (count desc, tie rank asc) packed into one long: exact, and a primitive sort.
            for (int e = from; e < to; e++) {
                sortKeys[e] = ((long) (Integer.MAX_VALUE - pairs.count[e]) << 32) | stats.tieRank(pairs.other[e]);
            }
            Arrays.sort(sortKeys, from, to);
            for (int e = from; e < to; e++) {
                ordered[e] = stats.itemByTieRank((int) (sortKeys[e] & 0xffffffffL));
            }
        }
        return new MarkovScorer(stats, new RankedLists(n, pairs.start, ordered));
    }

    @Override
    public String name() {
        return "markov";
    }

    @Override
    protected void scoreRow(SessionHistory session, float[] out, int offset) {
        successors.scoreTopUpWithPopularity(session.isEmpty() ? -1 : session.last(), popularity, out, offset);
    }
}
