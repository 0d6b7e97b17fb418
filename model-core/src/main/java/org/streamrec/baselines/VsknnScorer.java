package org.streamrec.baselines;

import java.util.Arrays;

/**
 * V-SKNN, the vector-multiplication session-kNN of Ludewig &amp; Jannach (session-rec {@code knn/vsknn.py},
 * {@code VMContextKNN} with similarity 'cosine', weighting 'div', weighting_score 'div', remind on, no idf,
 * no dwelling time):
 * <ol>
 * <li>the current session's items get linearly decaying weights: the item at (last) position p of L gets p / L;</li>
 * <li>candidates: training sessions sharing at least one item with the current session, the
 *     {@code sampleSize} most recent of them (by their last event's time);</li>
 * <li>similarity of a candidate: sum of the weights of the items it shares, divided by the number of distinct
 *     items of the current session (session-rec's {@code vec}, which it selects for 'cosine');</li>
 * <li>the {@code neighbours} most similar candidates (ties: the more recent session first) each add
 *     {@code similarity / step} to every item they contain, where step is how far back (1 = last event) the
 *     current session's most recent item that the neighbour contains lies.</li>
 * </ol>
 * Items no neighbour contains score 0 (no popularity top-up, as in session-rec), so they tie.
 */
public final class VsknnScorer extends HistoryScorer {

    /** Defaults as in session-rec's constructor and the V-SKNN paper setting: k = 100, 1000 recent candidates. */
    public record Params(int neighbours, int sampleSize) {
        public static final Params DEFAULT = new Params(100, 1000);

        public Params {
            if (neighbours < 1 || sampleSize < 1) {
                throw new IllegalArgumentException("neighbours and sampleSize must be positive");
            }
        }
    }

    private final Params params;
    /** Distinct items of each training session, sorted; session ids are recency ranks (0 = most recent). */
    private final int[][] sessionItems;
    /** Sessions of each item, ascending, i.e. most recent first. */
    private final int[] itemSessionStart;
    private final int[] itemSessions;

    // Scratch, reused across rows (see HistoryScorer: one instance per thread).
    private final float[] weightOf;
    private final int[] lastPositionOf;
    private final int[] distinct;
    private final int[] candidateStamp;
    private int stamp;
    private int[] candidates;
    private final double[] similarity;

    private VsknnScorer(TrainingStats stats, Params params, int[][] sessionItems, int[] itemSessionStart, int[] itemSessions) {
        super(stats.itemCount());
        this.params = params;
        this.sessionItems = sessionItems;
        this.itemSessionStart = itemSessionStart;
        this.itemSessions = itemSessions;
        this.weightOf = new float[itemCount];
        this.lastPositionOf = new int[itemCount];
        this.distinct = new int[itemCount];
        this.candidateStamp = new int[sessionItems.length];
        this.candidates = new int[Math.max(16, params.sampleSize())];
        this.similarity = new double[sessionItems.length];
    }

    public static VsknnScorer fit(TrainingStats stats) {
        return fit(stats, Params.DEFAULT);
    }

    public static VsknnScorer fit(TrainingStats stats, Params params) {
        int[][] sessions = stats.sessions();
        long[] endTimes = stats.sessionEndTimes();
        int[] byRecency = new int[sessions.length];
        int kept = 0;
        for (int s = 0; s < sessions.length; s++) {
            if (sessions[s].length > 0) {
                byRecency[kept++] = s;
            }
        }
        // Most recent first; equal end times: the session later in the file first.
        IntSort.sort(byRecency, 0, kept, (a, b) -> {
            int byTime = Long.compare(endTimes[b], endTimes[a]);
            return byTime != 0 ? byTime : Integer.compare(b, a);
        });
        int[][] sessionItems = new int[kept][];
        int[] itemSessionStart = new int[stats.itemCount() + 1];
        for (int r = 0; r < kept; r++) {
            sessionItems[r] = Arrays.stream(sessions[byRecency[r]]).distinct().sorted().toArray();
            for (int item : sessionItems[r]) {
                itemSessionStart[item + 1]++;
            }
        }
        for (int i = 0; i < stats.itemCount(); i++) {
            itemSessionStart[i + 1] += itemSessionStart[i];
        }
        int[] itemSessions = new int[itemSessionStart[stats.itemCount()]];
        int[] fill = Arrays.copyOf(itemSessionStart, stats.itemCount());
        for (int r = 0; r < kept; r++) {
            for (int item : sessionItems[r]) {
                itemSessions[fill[item]++] = r;
            }
        }
        return new VsknnScorer(stats, params, sessionItems, itemSessionStart, itemSessions);
    }

    @Override
    public String name() {
        return "vsknn";
    }

    @Override
    protected void scoreRow(SessionHistory session, float[] out, int offset) {
        Arrays.fill(out, offset, offset + itemCount, 0f);
        int length = session.length();
        if (length == 0) {
            return;
        }
        int distinctCount = 0;
        for (int p = 0; p < length; p++) {
            int item = session.item(p);
            if (lastPositionOf[item] == 0) {
                distinct[distinctCount++] = item;
            }
            lastPositionOf[item] = p + 1;
            weightOf[item] = (float) ((p + 1) / (double) length);
        }
        try {
            int candidateCount = collectCandidates(distinctCount);
            for (int c = 0; c < candidateCount; c++) {
                int s = candidates[c];
                double sum = 0;
                for (int item : sessionItems[s]) {
                    sum += weightOf[item];
                }
                similarity[s] = sum / distinctCount;
            }
            IntSort.sort(candidates, 0, candidateCount, (a, b) -> {
                int bySimilarity = Double.compare(similarity[b], similarity[a]);
                return bySimilarity != 0 ? bySimilarity : Integer.compare(a, b);
            });
            int neighbourCount = Math.min(params.neighbours(), candidateCount);
            for (int c = 0; c < neighbourCount; c++) {
                int s = candidates[c];
                int mostRecentShared = 0;
                for (int item : sessionItems[s]) {
                    mostRecentShared = Math.max(mostRecentShared, lastPositionOf[item]);
                }
                int step = length - mostRecentShared + 1;
                float contribution = (float) (similarity[s] / step);
                for (int item : sessionItems[s]) {
                    out[offset + item] += contribution;
                }
            }
        } finally {
            for (int d = 0; d < distinctCount; d++) {
                lastPositionOf[distinct[d]] = 0;
                weightOf[distinct[d]] = 0f;
            }
        }
    }

    /** The sampleSize most recent sessions containing any of the current items, into candidates[0..n). */
    private int collectCandidates(int distinctCount) {
        stamp++;
        int count = 0;
        for (int d = 0; d < distinctCount; d++) {
            int item = distinct[d];
            int from = itemSessionStart[item];
            // Each list is most-recent-first, so no list needs to contribute more than sampleSize sessions.
            int to = Math.min(itemSessionStart[item + 1], from + params.sampleSize());
            for (int e = from; e < to; e++) {
                int s = itemSessions[e];
                if (candidateStamp[s] != stamp) {
                    candidateStamp[s] = stamp;
                    if (count == candidates.length) {
                        candidates = Arrays.copyOf(candidates, count * 2);
                    }
                    candidates[count++] = s;
                }
            }
        }
        if (count > params.sampleSize()) {
            Arrays.sort(candidates, 0, count);
            count = params.sampleSize();
        }
        return count;
    }
}
