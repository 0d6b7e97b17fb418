package org.streamrec.flink.serving;

import java.util.ArrayList;
import java.util.List;

import org.streamrec.model.NextItemScorer;

/**
 * Test-only scorer with hand-checkable rankings. The hidden state is a one-hot vector of the last item (plus
 * {@code extraDims} unused dimensions, so two versions can differ in hidden size); scores are {@code hidden . E}
 * with {@code E[a][b] = -((direction * (b - a) - 1) mod n)}: after item {@code a} the ranking is {@code a+1, a+2,
 * ...} for direction +1 and {@code a-1, a-2, ...} for direction -1 (mod n), with scores 0, -1, -2, ... It records every scoring call, so tests can see how the operator batched.
 */
final class CyclicTestScorer implements NextItemScorer<float[]> {

    private final int n;
    private final int direction;
    private final int extraDims;
    private final float[] e;
    final List<Integer> batchRows = new ArrayList<>();
    int steps;
    /** When set: the first scoring call after {@code trigger} is set throws, once per {@code failed} flag. */
    private java.util.concurrent.atomic.AtomicBoolean trigger;
    private java.util.concurrent.atomic.AtomicBoolean failed;

    CyclicTestScorer failingOnDemand(java.util.concurrent.atomic.AtomicBoolean trigger,
                                     java.util.concurrent.atomic.AtomicBoolean failed) {
        this.trigger = trigger;
        this.failed = failed;
        return this;
    }

    CyclicTestScorer(int n, int direction, int extraDims) {
        this.n = n;
        this.direction = direction;
        this.extraDims = extraDims;
        this.e = new float[n * n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                e[a * n + b] = -Math.floorMod(direction * (b - a) - 1, n);
            }
        }
    }

    @Override
    public int itemCount() {
        return n;
    }

    @Override
    public float[] newSession() {
        return new float[n + extraDims];
    }

    @Override
    public void step(float[] state, int itemIndex) {
        if (state.length != n + extraDims) {
            throw new IllegalArgumentException("hidden of size " + state.length + " is not from this model");
        }
        steps++;
        java.util.Arrays.fill(state, 0f);
        state[itemIndex] = 1f;
    }

    /** One "matrix product" for all rows: out[r][b] = sum_a hidden_r[a] * E[a][b]. */
    @Override
    public void scoreAll(List<float[]> sessions, float[] out) {
        batchRows.add(sessions.size());
        if (trigger != null && trigger.get() && failed.compareAndSet(false, true)) {
            throw new IllegalStateException("injected failure at scoring call " + batchRows.size());
        }
        for (int r = 0; r < sessions.size(); r++) {
            float[] h = sessions.get(r);
            for (int b = 0; b < n; b++) {
                float s = 0;
                for (int a = 0; a < n; a++) {
                    s += h[a] * e[a * n + b];
                }
                out[r * n + b] = s;
            }
        }
    }
}
