package org.streamrec.eval;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.streamrec.data.Session;
import org.streamrec.model.ItemVocabulary;
import org.streamrec.model.NextItemScorer;
import org.streamrec.model.TopK;

/**
 * The offline next-item protocol of GRU4Rec, SR-GNN and session-rec (shared/data/README.md):
 * for every test session (i1..in), every k = 1..n-1, feed i1..ik to a fresh session state and rank all items the
 * scorer knows against the target i(k+1).
 *
 * <ul>
 * <li>Rank = 1 + the number of other items whose score is &gt;= the target's: ties count against the target, so
 *     a constant scorer cannot look good. Recall@k and MRR@k (0 beyond k) average over all predictions.</li>
 * <li>Already-seen items are ranked like any other unless {@link Config#excludeSeen()}: then the items of the
 *     prefix are removed from the ranking and from the top-k lists, and a target already seen is a miss.</li>
 * <li>Items unknown to the vocabulary (none in diginetica or rsc15, where every test item occurs in training):
 *     as input the state is not stepped, as if the event had not happened; as target the prediction is a miss.
 *     Both are counted in the result.</li>
 * <li>Coverage@20: distinct items that appeared in any top-20 list, over the catalogue size.</li>
 * </ul>
 *
 * <p>Scoring is batched: up to {@link Config#batchSize()} sessions advance side by side, session-parallel as in
 * GRU4Rec, and each step scores all of them in one {@link NextItemScorer#scoreAll} call. Metrics come from the
 * exact rank; the top-k lists (for coverage and for {@link PredictionListener}s) come from {@link TopK}.
 */
public final class Evaluator {

    /** Rank reported when the target cannot be ranked (unknown item, or seen and excluded). */
    public static final int MISS = Integer.MAX_VALUE;
    public static final int[] CUTOFFS = {5, 10, 20};
    public static final int COVERAGE_CUTOFF = 20;

    /**
     * @param batchSize   sessions scored per {@code scoreAll} call
     * @param excludeSeen remove the prefix's items from the ranking
     * @param topK        length of the lists handed to a {@link PredictionListener} (at least 20, for coverage)
     */
    public record Config(int batchSize, boolean excludeSeen, int topK) {
        public static final Config DEFAULT = new Config(256, false, COVERAGE_CUTOFF);

        public Config {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be positive");
            }
            if (topK < COVERAGE_CUTOFF) {
                throw new IllegalArgumentException("topK must be at least " + COVERAGE_CUTOFF);
            }
        }

        public Config withExcludeSeen(boolean exclude) {
            return new Config(batchSize, exclude, topK);
        }

        public Config withBatchSize(int size) {
            return new Config(size, excludeSeen, topK);
        }
    }

    private final Config config;

    public Evaluator(Config config) {
        this.config = config;
    }

    public Evaluator() {
        this(Config.DEFAULT);
    }

    public Config config() {
        return config;
    }

    /** Number of predictions the protocol makes on {@code sessions}: the sum of (length - 1). */
    public static long predictionCount(List<Session> sessions) {
        long total = 0;
        for (Session s : sessions) {
            total += Math.max(0, s.length() - 1);
        }
        return total;
    }

    public <S> EvaluationResult evaluate(String name, NextItemScorer<S> scorer, ItemVocabulary vocabulary, List<Session> testSessions) {
        return evaluate(name, scorer, vocabulary, testSessions, null, null);
    }

    /**
     * Runs the protocol. {@code progress} and {@code predictions} may be null. The scorer's rows must be the
     * vocabulary's rows ({@code scorer.itemCount() == vocabulary.size()}).
     */
    public <S> EvaluationResult evaluate(String name, NextItemScorer<S> scorer, ItemVocabulary vocabulary, List<Session> testSessions,
                                         ProgressListener progress, PredictionListener predictions) {
        int itemCount = scorer.itemCount();
        if (itemCount != vocabulary.size()) {
            throw new IllegalArgumentException("scorer has " + itemCount + " items, vocabulary " + vocabulary.size());
        }
        long started = System.nanoTime();
        int[][] encoded = new int[testSessions.size()][];
        for (int s = 0; s < encoded.length; s++) {
            List<String> ids = testSessions.get(s).itemIds();
            encoded[s] = new int[ids.size()];
            for (int p = 0; p < ids.size(); p++) {
                encoded[s][p] = vocabulary.indexOf(ids.get(p));
            }
        }
        long total = predictionCount(testSessions);

        int batch = config.batchSize();
        float[] scores = new float[Math.multiplyExact(batch, itemCount)];
        int[] topItems = new int[config.topK()];
        float[] topScores = new float[config.topK()];
        boolean[] recommended = new boolean[itemCount];
        long[] hits = new long[CUTOFFS.length];
        double[] reciprocalRanks = new double[CUTOFFS.length];
        long done = 0;
        long unknownInputs = 0;
        long unknownTargets = 0;

        // Slots: the sessions currently advancing side by side.
        int[] slotSession = new int[batch];
        int[] slotFed = new int[batch];
        List<S> slotState = new ArrayList<>(batch);
        int[][] slotSeen = new int[batch][];
        int[] slotSeenCount = new int[batch];
        boolean[] slotBusy = new boolean[batch];
        for (int i = 0; i < batch; i++) {
            slotState.add(null);
            slotSeen[i] = new int[16];
        }
        int[] rowSlot = new int[batch];
        List<S> rowStates = new ArrayList<>(batch);
        int nextSession = 0;
        int busy = 0;

        while (true) {
            for (int slot = 0; slot < batch && nextSession < encoded.length; slot++) {
                if (!slotBusy[slot]) {
                    while (nextSession < encoded.length && encoded[nextSession].length < 2) {
                        nextSession++;
                    }
                    if (nextSession == encoded.length) {
                        break;
                    }
                    slotBusy[slot] = true;
                    slotSession[slot] = nextSession++;
                    slotFed[slot] = 0;
                    slotSeenCount[slot] = 0;
                    slotState.set(slot, scorer.newSession());
                    busy++;
                }
            }
            if (busy == 0) {
                break;
            }
            rowStates.clear();
            int rows = 0;
            for (int slot = 0; slot < batch; slot++) {
                if (!slotBusy[slot]) {
                    continue;
                }
                int item = encoded[slotSession[slot]][slotFed[slot]++];
                if (item == ItemVocabulary.UNKNOWN) {
                    unknownInputs++;
                } else {
                    scorer.step(slotState.get(slot), item);
                    if (config.excludeSeen() && !contains(slotSeen[slot], slotSeenCount[slot], item)) {
                        if (slotSeenCount[slot] == slotSeen[slot].length) {
                            slotSeen[slot] = Arrays.copyOf(slotSeen[slot], slotSeenCount[slot] * 2);
                        }
                        slotSeen[slot][slotSeenCount[slot]++] = item;
                    }
                }
                rowStates.add(slotState.get(slot));
                rowSlot[rows++] = slot;
            }
            scorer.scoreAll(rowStates, scores);

            for (int row = 0; row < rows; row++) {
                int slot = rowSlot[row];
                int[] session = encoded[slotSession[slot]];
                int target = session[slotFed[slot]];
                int offset = row * itemCount;
                int[] seen = slotSeen[slot];
                int seenCount = config.excludeSeen() ? slotSeenCount[slot] : 0;
                int rank;
                if (target == ItemVocabulary.UNKNOWN) {
                    unknownTargets++;
                    rank = MISS;
                } else if (contains(seen, seenCount, target)) {
                    rank = MISS;
                } else {
                    rank = rankOf(scores, offset, itemCount, target, seen, seenCount);
                }
                for (int c = 0; c < CUTOFFS.length; c++) {
                    if (rank <= CUTOFFS[c]) {
                        hits[c]++;
                        reciprocalRanks[c] += 1.0 / rank;
                    }
                }
                int topCount = TopK.select(scores, offset, itemCount, config.topK(), seen, seenCount, topItems, topScores);
                for (int i = 0; i < Math.min(topCount, COVERAGE_CUTOFF); i++) {
                    recommended[topItems[i]] = true;
                }
                if (predictions != null) {
                    predictions.onPrediction(slotSession[slot], slotFed[slot], target, rank, topItems, topScores, topCount);
                }
                done++;
                if (slotFed[slot] == session.length - 1) {
                    slotBusy[slot] = false;
                    slotState.set(slot, null);
                    busy--;
                }
            }
            if (progress != null) {
                progress.onProgress(name, done, total, System.nanoTime() - started);
            }
        }

        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        int distinctRecommended = 0;
        for (boolean r : recommended) {
            if (r) {
                distinctRecommended++;
            }
        }
        List<EvaluationResult.AtK> metrics = new ArrayList<>();
        for (int c = 0; c < CUTOFFS.length; c++) {
            metrics.add(new EvaluationResult.AtK(CUTOFFS[c],
                    done == 0 ? 0 : hits[c] / (double) done,
                    done == 0 ? 0 : reciprocalRanks[c] / done));
        }
        return new EvaluationResult(name, done, metrics, COVERAGE_CUTOFF,
                itemCount == 0 ? 0 : distinctRecommended / (double) itemCount, distinctRecommended, itemCount,
                config.excludeSeen(), unknownInputs, unknownTargets, elapsed);
    }

    /**
     * 1 + the number of items other than the target, not excluded, whose score is &gt;= the target's.
     * A NaN target score is a miss (NaN is not a ranking).
     */
    static int rankOf(float[] scores, int offset, int length, int target, int[] excluded, int excludedCount) {
        float targetScore = scores[offset + target];
        if (Float.isNaN(targetScore)) {
            return MISS;
        }
        int atLeast = 0;
        for (int i = offset, end = offset + length; i < end; i++) {
            atLeast += scores[i] >= targetScore ? 1 : 0;
        }
        for (int e = 0; e < excludedCount; e++) {
            if (scores[offset + excluded[e]] >= targetScore) {
                atLeast--;
            }
        }
        // atLeast includes the target itself.
        return atLeast;
    }

    private static boolean contains(int[] items, int count, int item) {
        for (int i = 0; i < count; i++) {
            if (items[i] == item) {
                return true;
            }
        }
        return false;
    }
}
