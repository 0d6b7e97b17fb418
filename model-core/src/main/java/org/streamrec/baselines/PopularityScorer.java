package org.streamrec.baselines;

/** POP: every session gets the same ranking, training occurrence count descending (ties: item id first in string order, see TrainingStats). */
public final class PopularityScorer extends HistoryScorer {

    private final float[] popularity;

    private PopularityScorer(TrainingStats stats) {
        super(stats.itemCount());
        this.popularity = stats.popularityScores();
    }

    public static PopularityScorer fit(TrainingStats stats) {
        return new PopularityScorer(stats);
    }

    @Override
    public String name() {
        return "pop";
    }

    @Override
    protected void scoreRow(SessionHistory session, float[] out, int offset) {
        System.arraycopy(popularity, 0, out, offset, itemCount);
    }
}
