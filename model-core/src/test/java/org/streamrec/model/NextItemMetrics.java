package org.streamrec.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The offline protocol of {@code shared/data/README.md}, only as far as the GRU4Rec tests need it
 * (the project's evaluator lives in {@code org.streamrec.eval}): for each test session and prefix
 * {@code i1..ik}, rank all items against {@code i(k+1)}, ties counted against the target.
 */
final class NextItemMetrics {

    final long predictions;
    final double recall;
    final double mrr;

    private NextItemMetrics(long predictions, double recall, double mrr) {
        this.predictions = predictions;
        this.recall = recall;
        this.mrr = mrr;
    }

    /** Sessions as item rows (unknown items already removed); stops after {@code maxPredictions}. */
    static NextItemMetrics evaluate(Gru4RecModel model, int[][] sessions, int cutoff, int batch, long maxPredictions) {
        int n = model.itemCount();
        List<float[]> states = new ArrayList<>();
        List<Integer> targets = new ArrayList<>();
        float[] scores = new float[batch * n];
        long predictions = 0;
        double hits = 0;
        double rr = 0;
        outer:
        for (int[] s : sessions) {
            float[] h = model.newSession();
            for (int k = 0; k + 1 < s.length; k++) {
                model.step(h, s[k]);
                states.add(h.clone());
                targets.add(s[k + 1]);
                if (states.size() == batch) {
                    double[] hr = score(model, states, targets, scores, cutoff);
                    hits += hr[0];
                    rr += hr[1];
                    predictions += states.size();
                    states.clear();
                    targets.clear();
                    if (predictions >= maxPredictions) {
                        break outer;
                    }
                }
            }
        }
        if (!states.isEmpty()) {
            double[] hr = score(model, states, targets, scores, cutoff);
            hits += hr[0];
            rr += hr[1];
            predictions += states.size();
        }
        return new NextItemMetrics(predictions, hits / predictions, rr / predictions);
    }

    private static double[] score(Gru4RecModel model, List<float[]> states, List<Integer> targets, float[] scores, int cutoff) {
        int n = model.itemCount();
        model.scoreAll(states, scores);
        double hits = 0;
        double rr = 0;
        for (int r = 0; r < states.size(); r++) {
            int t = targets.get(r);
            float ts = scores[r * n + t];
            int rank = 1;
            for (int i = 0; i < n; i++) {
                float v = scores[r * n + i];
                if (i != t && v >= ts) {
                    rank++;
                }
            }
            if (rank <= cutoff) {
                hits++;
                rr += 1.0 / rank;
            }
        }
        return new double[] {hits, rr};
    }

    /** The same protocol for a fixed ranking by training popularity. */
    static double popularityRecall(long[] popularity, int[][] sessions, int cutoff) {
        long[] p = popularity;
        long predictions = 0;
        long hits = 0;
        for (int[] s : sessions) {
            for (int k = 0; k + 1 < s.length; k++) {
                int t = s[k + 1];
                int rank = 1;
                for (int i = 0; i < p.length; i++) {
                    if (i != t && p[i] >= p[t]) {
                        rank++;
                    }
                }
                predictions++;
                if (rank <= cutoff) {
                    hits++;
                }
            }
        }
        return (double) hits / predictions;
    }
}
