package org.streamrec.baselines;

import java.util.Arrays;

/**
 * SR, sequential rules (Kamehkhosh et al.; session-rec {@code baselines/sr.py} defaults steps 10, weighting 'div',
 * pruning 20): every training pair (a before b, at most {@code steps} events apart, gap g) adds 1/g to the rule
 * a -> b; each item keeps its {@code pruning} strongest rules (ties: item id first in string order, see TrainingStats). A session is scored by the rules
 * of its last item; other items score 0 and tie, as in session-rec.
 */
public final class SequentialRulesScorer extends HistoryScorer {

    public static final int DEFAULT_STEPS = 10;
    public static final int DEFAULT_PRUNING = 20;

    private final int[] start;
    private final int[] targets;
    private final float[] weights;

    private SequentialRulesScorer(int itemCount, int[] start, int[] targets, float[] weights) {
        super(itemCount);
        this.start = start;
        this.targets = targets;
        this.weights = weights;
    }

    public static SequentialRulesScorer fit(TrainingStats stats) {
        return fit(stats, DEFAULT_STEPS, DEFAULT_PRUNING);
    }

    public static SequentialRulesScorer fit(TrainingStats stats, int steps, int pruning) {
        if (steps < 1 || steps > 15 || pruning < 1) {
            throw new IllegalArgumentException("steps must be 1..15 and pruning positive");
        }
        int n = stats.itemCount();
        long total = 0;
        for (int[] session : stats.sessions()) {
            for (int t = 1; t < session.length; t++) {
                total += Math.min(steps, t);
            }
        }
        long[] keys = new long[Math.toIntExact(total)];
        int k = 0;
        for (int[] session : stats.sessions()) {
            for (int t = 1; t < session.length; t++) {
                for (int gap = 1; gap <= Math.min(steps, t); gap++) {
                    // The gap rides in the low 4 bits so that one primitive sort groups the rules.
                    keys[k++] = (PairCounts.key(session[t - gap], session[t], n) << 4) | gap;
                }
            }
        }
        Arrays.sort(keys);
        int[] ruleStart = new int[n + 1];
        int distinct = 0;
        for (int i = 0; i < keys.length; i++) {
            if (i == 0 || (keys[i] >>> 4) != (keys[i - 1] >>> 4)) {
                distinct++;
            }
        }
        int[] ruleTarget = new int[distinct];
        double[] ruleWeight = new double[distinct];
        int r = -1;
        for (int i = 0; i < keys.length; i++) {
            long pair = keys[i] >>> 4;
            if (i == 0 || pair != (keys[i - 1] >>> 4)) {
                r++;
                ruleTarget[r] = (int) (pair % n);
                ruleStart[(int) (pair / n) + 1]++;
            }
            ruleWeight[r] += 1.0 / (keys[i] & 0xf);
        }
        for (int a = 0; a < n; a++) {
            ruleStart[a + 1] += ruleStart[a];
        }
        int[] order = new int[distinct];
        for (int e = 0; e < distinct; e++) {
            order[e] = e;
        }
        int[] start = new int[n + 1];
        for (int a = 0; a < n; a++) {
            IntSort.sort(order, ruleStart[a], ruleStart[a + 1], (x, y) -> {
                int byWeight = Double.compare(ruleWeight[y], ruleWeight[x]);
                return byWeight != 0 ? byWeight : Integer.compare(stats.tieRank(ruleTarget[x]), stats.tieRank(ruleTarget[y]));
            });
            start[a + 1] = start[a] + Math.min(pruning, ruleStart[a + 1] - ruleStart[a]);
        }
        int[] targets = new int[start[n]];
        float[] weights = new float[start[n]];
        for (int a = 0; a < n; a++) {
            for (int p = 0; p < start[a + 1] - start[a]; p++) {
                int e = order[ruleStart[a] + p];
                targets[start[a] + p] = ruleTarget[e];
                weights[start[a] + p] = (float) ruleWeight[e];
            }
        }
        return new SequentialRulesScorer(n, start, targets, weights);
    }

    @Override
    public String name() {
        return "sr";
    }

    @Override
    protected void scoreRow(SessionHistory session, float[] out, int offset) {
        Arrays.fill(out, offset, offset + itemCount, 0f);
        if (session.isEmpty()) {
            return;
        }
        int last = session.last();
        for (int p = start[last]; p < start[last + 1]; p++) {
            out[offset + targets[p]] = weights[p];
        }
    }
}
